import { BadRequestException, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { HealthDetailsQuery, HealthProbeQuery } from './health-probe.query';
import { HealthQueryPipe, NO_QUERY } from './health-query.pipe';

const METADATA: ArgumentMetadata = { type: 'query', metatype: Object, data: undefined };

describe('HealthQueryPipe', () => {
  const pipe = new HealthQueryPipe(HealthProbeQuery);

  async function problem(query: Record<string, unknown>): Promise<string> {
    try {
      await pipe.transform(query, METADATA);
    } catch (error) {
      expect(error).toBeInstanceOf(BadRequestException);
      const body = (error as BadRequestException).getResponse() as { message: string };
      expect((error as BadRequestException).getStatus()).toBe(400);
      return body.message;
    }
    throw new Error(`expected ${JSON.stringify(query)} to be rejected`);
  }

  it('answers a request without parameters with the shared NO_QUERY, validating nothing', async () => {
    const validate = jest.spyOn(ValidationPipe.prototype, 'transform');
    await expect(pipe.transform({}, METADATA)).resolves.toBe(NO_QUERY);
    await expect(pipe.transform(Object.create(null), METADATA)).resolves.toBe(NO_QUERY);
    await expect(pipe.transform(undefined, METADATA)).resolves.toBe(NO_QUERY);
    expect(validate).not.toHaveBeenCalled();
    validate.mockRestore();
  });

  it.each([
    [{ verbose: '' }, { verbose: true }],
    [{ verbose: 'true' }, { verbose: true }],
    [{ verbose: '1' }, { verbose: true }],
    [
      { verbose: 'false', fresh: '0' },
      { verbose: false, fresh: false },
    ],
    [{ exclude: 'redis' }, { exclude: ['redis'] }],
    [
      { exclude: ['redis', 'queue'], fresh: 'true' },
      { exclude: ['redis', 'queue'], fresh: true },
    ],
  ])('reads %j as %j', async (query, expected) => {
    await expect(pipe.transform(query, METADATA)).resolves.toEqual(expected);
  });

  it('ignores unknown parameters', async () => {
    await expect(pipe.transform({ verbose: '', nocache: '123' }, METADATA)).resolves.toEqual({
      verbose: true,
    });
  });

  it.each([
    [{ verbose: 'maybe' }, 'verbose'],
    [{ verbose: ['true', 'true'] }, 'verbose'],
    [{ fresh: '2' }, 'fresh'],
    [{ exclude: 'x'.repeat(64) }, 'exclude'],
    [{ exclude: 'bad name' }, 'exclude'],
    [{ exclude: '' }, 'exclude'],
    [{ exclude: Array.from({ length: 65 }, (_, i) => `c${i}`) }, 'exclude'],
  ])('answers 400 for %j, naming the parameter "%s"', async (query, parameter) => {
    const message = await problem(query);
    expect(message).toMatch(new RegExp(`^Invalid query parameter "${parameter}": `));
  });

  it('says what a flag allows', async () => {
    expect(await problem({ fresh: 'yes' })).toBe(
      'Invalid query parameter "fresh": must be true, false, 1, 0 or empty (the parameter alone means true)',
    );
  });

  it('validates the DTO it is given, not the parameter type', async () => {
    const details = new HealthQueryPipe(HealthDetailsQuery);
    await expect(details.transform({ fresh: '', verbose: 'x' }, METADATA)).resolves.toEqual({
      fresh: true,
    });
  });
});
