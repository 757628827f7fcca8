import type { UserStore } from '@livegate/live-auth';

/**
 * A user store whose next `findById` first runs a change the test arms (`race`): a change of the
 * user by someone else, landing between a sign-in's first reads and its session.
 */
export function racingUserStore(store: UserStore): {
  store: UserStore;
  race: (change: (id: string) => Promise<unknown>) => void;
} {
  let racing: ((id: string) => Promise<unknown>) | undefined;
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'findById') {
        return async (id: string) => {
          const change = racing;
          racing = undefined;
          await change?.(id);
          return target.findById(id);
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return {
    store: proxy,
    race: (change) => {
      racing = change;
    },
  };
}
