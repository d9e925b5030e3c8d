import {
  Injectable,
  Module,
  SetMetadata,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type INestApplicationContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { of, throwError } from 'rxjs';
import { InvalidHealthModuleOptionsError } from '../errors';
import { HealthModule } from '../health.module';
import type { HealthModuleOptions } from '../health-module-options';
import { HealthDetailsPolicy } from './health-details.policy';

const LOCAL = { socket: { remoteAddress: '127.0.0.1' }, headers: {} };
const REMOTE = { socket: { remoteAddress: '203.0.113.7' }, headers: {} };
const REMOTE_WITH_TOKEN = {
  socket: { remoteAddress: '203.0.113.7' },
  headers: { 'x-token': 'ok' },
};
const SPOOFED = {
  socket: { remoteAddress: '203.0.113.7' },
  headers: { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1' },
};

interface FakeRequest {
  readonly headers: Record<string, string>;
}

/** Admits requests with `x-token: ok`; depends on a provider of the app. */
@Injectable()
class TokenService {
  readonly expected = 'ok';
}

@Injectable()
class TokenGuard implements CanActivate {
  static seen: ExecutionContext[] = [];
  constructor(private readonly tokens: TokenService) {}
  canActivate(context: ExecutionContext): boolean {
    TokenGuard.seen.push(context);
    const request = context.switchToHttp().getRequest<FakeRequest>();
    if (request.headers['x-token'] !== this.tokens.expected) throw new UnauthorizedException();
    return true;
  }
}

@Module({ providers: [TokenService, TokenGuard], exports: [TokenService] })
class AuthModule {}

@Injectable()
class ObservableGuard implements CanActivate {
  canActivate(context: ExecutionContext) {
    const request = context.switchToHttp().getRequest<FakeRequest>();
    return request.headers['x-token'] === 'ok' ? of(true) : throwError(() => new Error('no'));
  }
}

const ADMIN_ONLY = 'test:admin-only';

@Injectable()
class MetadataGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    return this.reflector.get<boolean>(ADMIN_ONLY, context.getClass()) === true;
  }
}

@Injectable()
class UncreatableGuard implements CanActivate {
  constructor(private readonly missing: TokenService) {}
  canActivate(): boolean {
    return this.missing !== undefined;
  }
}

describe('HealthDetailsPolicy', () => {
  let context: INestApplicationContext | undefined;

  async function policy(
    options: HealthModuleOptions,
    imports: Array<typeof AuthModule> = [],
  ): Promise<HealthDetailsPolicy> {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger: false, ...options }), ...imports],
    }).compile();
    context = await moduleRef.init();
    return context.get(HealthDetailsPolicy);
  }

  afterEach(async () => {
    await context?.close();
    context = undefined;
    TokenGuard.seen = [];
  });

  it("admits loopback callers by default ('local'), synchronously, and nobody else", async () => {
    const details = await policy({});
    expect(details.mode).toBe('local');
    expect(details.admits(LOCAL)).toBe(true);
    expect(details.admits({ socket: { remoteAddress: '::1' } })).toBe(true);
    expect(details.admits({ raw: { socket: { remoteAddress: '::ffff:127.0.0.1' } } })).toBe(true);
    expect(details.admits(REMOTE)).toBe(false);
    expect(details.admits({})).toBe(false);
  });

  it('never trusts X-Forwarded-For or X-Real-IP', async () => {
    const details = await policy({ details: 'local' });
    expect(details.admits(SPOOFED)).toBe(false);
  });

  it("'never' admits nobody, 'always' everybody", async () => {
    expect((await policy({ details: 'never' })).admits(LOCAL)).toBe(false);
    await context?.close();
    expect((await policy({ details: 'always' })).admits(REMOTE)).toBe(true);
  });

  it("'local' also admits what authorize admits; only an exact true admits", async () => {
    const authorize = (request: unknown) =>
      (request as FakeRequest).headers['x-token'] === 'ok' ? true : ('yes' as unknown as boolean);
    const details = await policy({ details: 'local', authorize });
    expect(details.admits(REMOTE_WITH_TOKEN)).toBe(true);
    expect(details.admits(REMOTE)).toBe(false);
  });

  it("'authorized' asks authorize even for loopback callers; async answers and rejections", async () => {
    const authorize = (request: unknown) =>
      (request as FakeRequest).headers['x-token'] === 'ok'
        ? Promise.resolve(true)
        : Promise.reject(new Error('token service down'));
    const details = await policy({ details: 'authorized', authorize });
    await expect(details.admits(REMOTE_WITH_TOKEN)).resolves.toBe(true);
    await expect(details.admits(LOCAL)).resolves.toBe(false);
  });

  it('treats an authorize that throws as not admitted', async () => {
    const details = await policy({
      details: 'authorized',
      authorize: () => {
        throw new TypeError('password=hunter2 rejected');
      },
    });
    expect(details.admits(LOCAL)).toBe(false);
  });

  it('runs a guard class from the app, with an HTTP ExecutionContext; a guard that throws refuses', async () => {
    const details = await policy({ details: 'authorized', authorize: TokenGuard }, [AuthModule]);
    const response = { headers: {} };
    expect(details.admits(REMOTE_WITH_TOKEN, undefined, response)).toBe(true);
    expect(details.admits(REMOTE)).toBe(false);

    const [seen] = TokenGuard.seen;
    expect(seen.getType()).toBe('http');
    expect(seen.switchToHttp().getRequest()).toBe(REMOTE_WITH_TOKEN);
    expect(seen.switchToHttp().getResponse()).toBe(response);
    expect(seen.getArgs()).toEqual([REMOTE_WITH_TOKEN, response, undefined]);
    expect(seen.getClass()).toBe(HealthDetailsPolicy);
    expect(typeof seen.getHandler()).toBe('function');
  });

  it('creates a guard that is no provider, and settles an Observable answer', async () => {
    const details = await policy({ details: 'authorized', authorize: ObservableGuard });
    await expect(details.admits(REMOTE_WITH_TOKEN)).resolves.toBe(true);
    await expect(details.admits(REMOTE)).resolves.toBe(false);
  });

  it('gives the guard the target route, for metadata read with Reflector', async () => {
    @SetMetadata(ADMIN_ONLY, true)
    class AdminController {
      handle() {
        return 'ok';
      }
    }
    const target = { controller: AdminController, handler: AdminController.prototype.handle };
    const details = await policy({ details: 'authorized', authorize: MetadataGuard });
    expect(details.admits(REMOTE, target)).toBe(true);
    expect(details.admits(REMOTE)).toBe(false);
  });

  it('fails the boot when the guard cannot be created, naming authorize', async () => {
    const moduleRef = Test.createTestingModule({
      imports: [
        HealthModule.forRoot({ logger: false, details: 'authorized', authorize: UncreatableGuard }),
      ],
    });
    const compiled = await moduleRef.compile();
    const error = await compiled.init().then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(InvalidHealthModuleOptionsError);
    expect((error as Error).message).toMatch(
      /"authorize" is .*UncreatableGuard.*a guard Nest can create/s,
    );
  });
});
