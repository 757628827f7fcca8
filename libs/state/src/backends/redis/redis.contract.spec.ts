import { describeStateBackendContract } from '../../testing';
import { useRedisTestServer } from './redis-test.helpers';

// A fresh Redis backend per test, isolated by a random key prefix on the file's private server.
describeStateBackendContract('redis', useRedisTestServer().contractFactory);
