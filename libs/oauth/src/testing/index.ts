// @livegate/oauth/testing: the contract every token store passes.
export {
  describeTokenStoreContract,
  type TokenStoreFactory,
  type TokenStoreSubject,
} from './token-store.contract';
