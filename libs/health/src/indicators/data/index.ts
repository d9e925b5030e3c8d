export {
  sqlIndicator,
  type SqlClient,
  type SqlEntityManagerOwner,
  type SqlIndicatorOptions,
  type SqlQueryable,
} from './sql.health';
export {
  redisIndicator,
  REDIS_DEFAULT_USED_MEMORY_PERCENT,
  type RedisClientLike,
  type RedisIndicatorOptions,
} from './redis.health';
export {
  bullmqIndicator,
  type BullMqIndicatorOptions,
  type BullMqQueueLike,
} from './bullmq.health';
export {
  rabbitmqIndicator,
  type AmqpChannelLike,
  type AmqpConnectionLike,
  type RabbitMqIndicatorOptions,
  type RabbitMqQueueCheck,
} from './rabbitmq.health';
export {
  microserviceIndicator,
  type MicroserviceClientLike,
  type MicroserviceIndicatorOptions,
  type MicroserviceSendCheck,
  type MicroserviceServerLike,
  type MicroserviceSubscribable,
  type MicroserviceUnsubscribable,
} from './microservice.health';
export {
  mqttIndicator,
  type MqttClientLike,
  type MqttClientState,
  type MqttIndicatorOptions,
} from './mqtt.health';
export {
  natsIndicator,
  type NatsConnectionLike,
  type NatsConsumerCheck,
  type NatsConsumerInfoLike,
  type NatsIndicatorOptions,
  type NatsJetStreamCheck,
  type NatsJetStreamManagerLike,
  type NatsServerInfoLike,
  type NatsStatusLike,
  type NatsStreamCheck,
  type NatsStreamInfoLike,
} from './nats.health';
