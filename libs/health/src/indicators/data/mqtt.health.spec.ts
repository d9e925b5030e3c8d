import { connect, connectAsync, type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import {
  BlackHoleServer,
  checkOnce,
  closedPort,
  runInEngine,
  waitFor,
} from '../../../spec-helpers/faults';
import { PrivateMosquitto } from '../../../spec-helpers/mosquitto';
import type { HealthCheckResult } from '../../check';
import type { BuiltInIndicator } from '../core';
import { mqttIndicator } from './mqtt.health';

const MQTT_URL = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const WATCHED = ['connect', 'reconnect', 'offline', 'close', 'end', 'error', 'message'] as const;

/** Resolves once `promise` has settled; fails the spec if it is still pending after 3 s. */
async function settles(promise: Promise<unknown>): Promise<void> {
  let settled = false;
  void promise.finally(() => (settled = true));
  await waitFor(() => settled);
}

function listenerCounts(client: MqttClient): Record<string, number> {
  return Object.fromEntries(WATCHED.map((event) => [event, client.listenerCount(event)]));
}

/** Records the packets a client sends. */
function sentPackets(client: MqttClient): { packets: Packet[]; stop(): void } {
  const packets: Packet[] = [];
  const record = (packet: Packet) => packets.push(packet);
  client.on('packetsend', record);
  return { packets, stop: () => client.removeListener('packetsend', record) };
}

describe('mqttIndicator (real Mosquitto)', () => {
  const clients: MqttClient[] = [];
  const indicators: BuiltInIndicator[] = [];

  async function client(url = MQTT_URL, extra: IClientOptions = {}): Promise<MqttClient> {
    const created = await connectAsync(url, { reconnectPeriod: 100, ...extra });
    created.on('error', () => undefined);
    clients.push(created);
    return created;
  }

  function indicator(...args: Parameters<typeof mqttIndicator>): BuiltInIndicator {
    const made = mqttIndicator(...args);
    indicators.push(made);
    return made;
  }

  afterEach(async () => {
    for (const made of indicators.splice(0)) await made.close();
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  });

  it("is up from the client's state alone, sending nothing", async () => {
    const mqtt = await client();
    const health = indicator(mqtt);
    const sent = sentPackets(mqtt);
    let result: HealthCheckResult | undefined;
    for (let i = 0; i < 100; i += 1) result = await checkOnce(health);
    sent.stop();
    expect(result).toEqual({
      status: 'up',
      data: { state: 'connected', since: expect.any(String) },
    });
    expect(Number.isNaN(Date.parse(String(result?.data?.since)))).toBe(false);
    expect(sent.packets).toEqual([]);
  });

  it('with roundTrip: subscribes, publishes QoS 1 unretained, gets it back, unsubscribes', async () => {
    const mqtt = await client();
    const before = listenerCounts(mqtt);
    const health = indicator(mqtt, { roundTrip: true });
    const sent = sentPackets(mqtt);
    const result = await checkOnce(health);
    sent.stop();
    expect(result).toEqual({
      status: 'up',
      data: { state: 'connected', since: expect.any(String), roundTripMs: expect.any(Number) },
    });
    const [subscribe, publish, puback, unsubscribe] = sent.packets as Array<
      Packet & Record<string, unknown>
    >;
    // the client acknowledges the message before the indicator unsubscribes
    expect(sent.packets.map((p) => p.cmd)).toEqual([
      'subscribe',
      'publish',
      'puback',
      'unsubscribe',
    ]);
    const topic = (subscribe.subscriptions as Array<{ topic: string; qos: number }>)[0];
    expect(topic).toMatchObject({
      topic: expect.stringMatching(/^\$nest-health\/[0-9a-f]{16}\/ping$/),
      qos: 1,
    });
    expect(publish).toMatchObject({ topic: topic.topic, qos: 1, retain: false });
    expect(puback.cmd).toBe('puback');
    expect(unsubscribe.unsubscriptions).toEqual([topic.topic]);
    // after the check: its message listener is gone; the indicator keeps only its state listeners
    const after = listenerCounts(mqtt);
    expect(after.message).toBe(before.message);
    await health.close();
    expect(listenerCounts(mqtt)).toEqual(before);
    expect(mqtt.connected).toBe(true);
  });

  it('with roundTripTopic and MQTT 5: the topic under that prefix', async () => {
    const mqtt = await client(MQTT_URL, { protocolVersion: 5 });
    const sent = sentPackets(mqtt);
    const result = await checkOnce(indicator(mqtt, { roundTripTopic: 'app/health' }));
    sent.stop();
    expect(result.status).toBe('up');
    expect(sent.packets[1]).toMatchObject({
      cmd: 'publish',
      topic: expect.stringMatching(/^app\/health\/[0-9a-f]{16}\/ping$/),
    });
  });

  it('is degraded past a roundTripMs level', async () => {
    const mqtt = await client();
    const result = await checkOnce(
      indicator(mqtt, { roundTrip: true, roundTripMs: { degradedAbove: 0 } }),
    );
    expect(result.status).toBe('degraded');
    expect(result.message).toMatch(/^roundTripMs [\d.]+ is above 0$/);
  });

  it('is down with "closed" once the app ends its client, and never ends it itself', async () => {
    const mqtt = await client();
    const health = indicator(mqtt, { roundTrip: true });
    expect((await checkOnce(health)).status).toBe('up');
    await health.close();
    expect(mqtt.connected).toBe(true);
    expect((await checkOnce(health)).status).toBe('up'); // listens again after close()
    await mqtt.endAsync();
    const result = await checkOnce(health);
    expect(result).toMatchObject({
      status: 'down',
      message: expect.stringMatching(/^closed since \d{4}-\d\d-\d\dT[\d:.]+Z$/),
      data: { state: 'closed' },
    });
  });

  it('is down with "connecting" while a broker never acknowledges the connection', async () => {
    const hole = await BlackHoleServer.start();
    try {
      const mqtt = connect(`mqtt://127.0.0.1:${hole.port}`, {
        reconnectPeriod: 100,
      });
      mqtt.on('error', () => undefined);
      clients.push(mqtt);
      await waitFor(() => hole.accepted > 0);
      expect(await checkOnce(indicator(mqtt, { roundTrip: true }))).toMatchObject({
        status: 'down',
        message: expect.stringMatching(/^connecting since /),
        data: { state: 'connecting' },
      });
    } finally {
      await hole.close();
    }
  });

  it('is down with "offline" and the last error when a client that does not retry has failed', async () => {
    const port = await closedPort();
    const mqtt = connect(`mqtt://127.0.0.1:${port}`, {
      reconnectPeriod: 0,
    });
    mqtt.on('error', () => undefined);
    clients.push(mqtt);
    const health = indicator(mqtt);
    await waitFor(async () => (await checkOnce(health)).data?.lastError !== undefined);
    expect(await checkOnce(health)).toEqual({
      status: 'down',
      message: expect.stringMatching(/^offline since .* \(last error: .*ECONNREFUSED/),
      data: {
        state: 'offline',
        since: expect.any(String),
        lastError: expect.stringMatching(/ECONNREFUSED/),
      },
    });
  });

  it('rejects what is not an MQTT client, and invalid options', () => {
    expect(() => mqttIndicator({} as never)).toThrow(
      /"client" is "a plain object": must be an MQTT client/,
    );
    const fake = {
      connected: true,
      on: () => undefined,
      removeListener: () => undefined,
      subscribe: () => undefined,
      publish: () => undefined,
      unsubscribe: () => undefined,
    } as never;
    for (const roundTripTopic of ['a/#', 'a/+/b', '', 'a/', '$SYS/x']) {
      expect(() => mqttIndicator(fake, { roundTripTopic })).toThrow(/roundTripTopic/);
    }
    expect(() => mqttIndicator(fake, { roundTripMs: { degradedAbove: -1 } })).toThrow(
      /roundTripMs/,
    );
  });

  (PrivateMosquitto.available() ? describe : describe.skip)('on a broker of its own', () => {
    let broker: PrivateMosquitto;

    beforeAll(async () => {
      broker = await PrivateMosquitto.start();
    });

    afterAll(async () => {
      await broker?.stop();
    });

    const SYS = {
      connections: '$SYS/broker/clients/connected',
      subscriptions: '$SYS/broker/subscriptions/count',
      retained: '$SYS/broker/retained messages/count',
    };

    /**
     * The broker's own counts as of now: waits for two `$SYS` passes (every `sys_interval`, 1 s)
     * after this call (seen by the uptime they publish), then subscribes again to the counts,
     * which delivers their retained values.
     */
    async function sysCounts(monitor: MqttClient): Promise<Record<keyof typeof SYS, number>> {
      const UPTIME = '$SYS/broker/uptime';
      let passes = -1; // the first message is the retained one, from a pass before this call
      const onUptime = (received: string) => {
        if (received === UPTIME) passes += 1;
      };
      monitor.on('message', onUptime);
      await monitor.subscribeAsync(UPTIME);
      await waitFor(() => passes >= 2, 5_000);
      monitor.removeListener('message', onUptime);
      await monitor.unsubscribeAsync(UPTIME);
      const topics = Object.values(SYS);
      const values = new Map<string, number>();
      const onMessage = (received: string, payload: Buffer) => {
        if (topics.includes(received)) values.set(received, Number(String(payload)));
      };
      monitor.on('message', onMessage);
      await monitor.subscribeAsync(topics);
      await waitFor(() => values.size === topics.length);
      monitor.removeListener('message', onMessage);
      await monitor.unsubscribeAsync(topics);
      return {
        connections: values.get(SYS.connections)!,
        subscriptions: values.get(SYS.subscriptions)!,
        retained: values.get(SYS.retained)!,
      };
    }

    it('stopped → down (reconnecting, ECONNREFUSED); restarted → up again, same client', async () => {
      const mqtt = await client(broker.url);
      const state = indicator(mqtt);
      const roundTrip = indicator(mqtt, { roundTrip: true });
      expect((await checkOnce(roundTrip)).status).toBe('up');

      const killedAt = Date.now();
      await broker.kill();
      await waitFor(async () => (await checkOnce(state)).data?.lastError !== undefined);
      const result = await checkOnce(state);
      expect(result).toMatchObject({
        status: 'down',
        message: expect.stringMatching(/^reconnecting since .* \(last error: .*ECONNREFUSED/),
        data: { state: 'reconnecting', reconnectAttempts: expect.any(Number) },
      });
      expect(Date.parse(String(result.data?.since))).toBeGreaterThanOrEqual(killedAt);
      // down at once, without waiting for the deadline or queueing a message
      expect(await checkOnce(roundTrip)).toMatchObject({ status: 'down' });

      await broker.restart();
      await waitFor(() => mqtt.connected, 5_000);
      expect(await checkOnce(state)).toEqual({
        status: 'up',
        data: { state: 'connected', since: expect.any(String) },
      });
      expect((await checkOnce(roundTrip)).status).toBe('up');
    });

    it('hung (SIGSTOP): the round trip is down at the deadline, leaving nothing behind', async () => {
      const monitor = await client(broker.url);
      const mqtt = await client(broker.url);
      const counts = await sysCounts(monitor);
      const before = listenerCounts(mqtt);
      const state = indicator(mqtt);
      const roundTrip = indicator(mqtt, { roundTrip: true });
      const sent = sentPackets(mqtt);
      await broker.pause();
      try {
        // the client cannot know yet (until its keepalive): its state is still connected
        expect((await checkOnce(state)).status).toBe('up');
        const run = await runInEngine(roundTrip, 300);
        expect(run).toMatchObject({ status: 'down', message: 'timed out after 300 ms' });
        await settles(run.settled);
        await roundTrip.close();
        await state.close();
        expect(listenerCounts(mqtt)).toEqual(before);
      } finally {
        broker.resume();
      }
      // the SUBACK comes late: nothing is published, and the topic is unsubscribed
      await waitFor(() => sent.packets.some((packet) => packet.cmd === 'unsubscribe'));
      sent.stop();
      expect(sent.packets.map((packet) => packet.cmd)).toEqual(['subscribe', 'unsubscribe']);
      expect(await sysCounts(monitor)).toEqual(counts);
      expect((await checkOnce(roundTrip)).status).toBe('up');
    }, 20_000);

    it('hung (SIGSTOP): the state turns down when the keepalive gives up', async () => {
      const mqtt = await client(broker.url, { keepalive: 1, connectTimeout: 60_000 });
      const state = indicator(mqtt);
      // checked the moment the client gives up: it says so with 'offline' and 'error' while
      // its `connected` flag is still true (until the socket's 'close')
      const atTheError = new Promise<HealthCheckResult>((resolve) =>
        mqtt.once('error', () => resolve(checkOnce(state))),
      );
      await broker.pause();
      try {
        expect(await atTheError).toMatchObject({
          status: 'down',
          message: expect.stringMatching(/^reconnecting since .*Keepalive timeout/),
        });
        expect(await checkOnce(state)).toMatchObject({
          status: 'down',
          message: expect.stringMatching(/^reconnecting since .*Keepalive timeout/),
        });
      } finally {
        broker.resume();
      }
      await waitFor(async () => (await checkOnce(state)).status === 'up', 5_000);
    });

    it("other clients' wildcard subscriptions never see the round trip's messages", async () => {
      const mqtt = await client(broker.url);
      const other = await client(broker.url);
      const seen: string[] = [];
      other.on('message', (topic) => seen.push(topic));
      await other.subscribeAsync(['#', '+/+/ping'], { qos: 1 });
      const health = indicator(mqtt, { roundTrip: true });
      for (let i = 0; i < 10; i += 1) expect((await checkOnce(health)).status).toBe('up');
      await mqtt.publishAsync('control', 'after the checks', { qos: 1 });
      await waitFor(() => seen.includes('control'));
      expect(seen).toEqual(['control']);
    });

    it('10,000 runs open no connection, and leave no subscription, retained message or listener', async () => {
      const monitor = await client(broker.url);
      const mqtt = await client(broker.url);
      const counts = await sysCounts(monitor);
      expect(counts.connections).toBe(2); // the monitor and the app's client
      const before = listenerCounts(mqtt);
      let connects = 0;
      const countConnect = () => (connects += 1);
      mqtt.on('connect', countConnect);
      const health = mqttIndicator(mqtt, { roundTrip: true });
      const statuses = new Set<string>();
      for (let i = 0; i < 10_000; i += 1) statuses.add((await checkOnce(health)).status);
      await health.close();
      mqtt.removeListener('connect', countConnect);
      expect([...statuses]).toEqual(['up']);
      expect(connects).toBe(0);
      expect(listenerCounts(mqtt)).toEqual(before);
      expect(await sysCounts(monitor)).toEqual(counts);
    }, 60_000);
  });
});
