import { randomBytes } from 'node:crypto';

/** The PostgreSQL server the tests use: `LIVEGATE_TEST_POSTGRES_URL`, or the local one. */
export const TEST_POSTGRES_URL =
  process.env.LIVEGATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}

async function withAdmin<T>(work: (client: PgClient) => Promise<T>): Promise<T> {
  const { Client } = (await import('pg')) as unknown as {
    Client: new (options: {
      connectionString: string;
      connectionTimeoutMillis: number;
    }) => PgClient;
  };
  const client = new Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `No PostgreSQL server at ${TEST_POSTGRES_URL.replace(/\/\/[^@]*@/, '//')} for the tests ` +
        `(set LIVEGATE_TEST_POSTGRES_URL): ${(error as Error).message}`,
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A database of its own on the test server, dropped by `drop()` (with any connection left). */
export class PostgresTestDatabase {
  private constructor(
    readonly name: string,
    readonly url: string,
  ) {}

  static async create(prefix = 'livegate_test'): Promise<PostgresTestDatabase> {
    const name = `${prefix}_${randomBytes(6).toString('hex')}`;
    await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
    const url = new URL(TEST_POSTGRES_URL);
    url.pathname = `/${name}`;
    return new PostgresTestDatabase(name, url.href);
  }

  async drop(): Promise<void> {
    await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }
}
