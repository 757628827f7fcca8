import autocannon from 'autocannon';

export interface LoadOptions {
  port: number;
  headers: Record<string, string>;
  /** Seconds of load. */
  duration: number;
  connections: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  /** 2xx answers in all. */
  requests: number;
  /** Latency in milliseconds. */
  p50: number;
  p99: number;
  /** Responses other than 2xx, and connection errors: a valid run has none. */
  failures: number;
}

/** Drives `GET /items` with autocannon for a fixed time and counts the 2xx answers per second. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: `http://127.0.0.1:${options.port}/items`,
    headers: options.headers,
    connections: options.connections,
    duration: options.duration,
    pipelining: 1,
  });
  return {
    requestsPerSecond: result['2xx'] / result.duration,
    requests: result['2xx'],
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** Sends `count` requests one after another: what a round-trip count is taken over. */
export async function runSequential(
  options: Omit<LoadOptions, 'duration' | 'connections'>,
  count: number,
) {
  for (let index = 0; index < count; index += 1) {
    const response = await fetch(`http://127.0.0.1:${options.port}/items`, {
      headers: options.headers,
    });
    await response.arrayBuffer();
    if (response.status !== 200) {
      throw new Error(`GET /items answered ${response.status}`);
    }
  }
}

/** The route answers 200 with the credentials and, where it is protected, 401 without. */
export async function checkRoute(
  port: number,
  headers: Record<string, string>,
  isProtected: boolean,
): Promise<void> {
  const url = `http://127.0.0.1:${port}/items`;
  const allowed = await fetch(url, { headers });
  const body = await allowed.text();
  if (allowed.status !== 200 || !body.includes('"gamma"')) {
    throw new Error(`GET /items with credentials answered ${allowed.status}: ${body}`);
  }
  if (isProtected) {
    const denied = await fetch(url);
    await denied.arrayBuffer();
    if (denied.status !== 401) {
      throw new Error(`GET /items without credentials answered ${denied.status}, not 401`);
    }
  }
}
