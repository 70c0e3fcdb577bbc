// What the main thread needs of store "redis", imported only when the config asks for it: ioredis
// alone costs about 25 MB of RSS.
export { openSharedStore, type SharedStore } from './open-shared-store.js';
export { RedisRateLimiter } from './redis-rate-limiter.js';
export { RedisSharedState } from './redis-shared-state.js';
