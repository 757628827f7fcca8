/** One HTTP answer as the tests read it: status, body (parsed when it is JSON) and headers. */
export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** GET `base + path` without following redirects, bounded by a 5 s timeout. */
export async function getAnswer(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the text stands
  }
  return { status: response.status, body, headers: response.headers };
}

/** The documented error answer: `status` with the body `{ error: code, message }`. */
export function expectError(answer: Answer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.body).toEqual({ error: code, message: expect.any(String) });
}
