import { describeTokenStoreContract } from '../testing/token-store.contract';
import { MemoryTokenStore } from './memory-token.store';

describeTokenStoreContract('memory', async () => ({
  store: new MemoryTokenStore(),
  teardown: async () => undefined,
}));
