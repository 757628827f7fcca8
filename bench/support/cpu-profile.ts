import { Session } from 'node:inspector';

/**
 * Request handlers that record a V8 CPU profile of this process between `profileStart` and
 * `profileStop`, so that a profile covers the measured load and not the start-up.
 */
export function cpuProfileHandlers() {
  const session = new Session();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  return {
    profileStart: async () => {
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 200 });
      await post('Profiler.start');
      return true;
    },
    profileStop: async () => {
      const { profile } = (await post('Profiler.stop')) as { profile: object };
      session.disconnect();
      return JSON.stringify(profile);
    },
  };
}
