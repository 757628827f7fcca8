// One process's use of the OS keyring token store: `save <service> <key> <access token>` or
// `load <service> <key>`, printing one JSON line ({ tokens } or { error, name }).
import { createOsKeyring } from '@livegate/state';
import { KeyringTokenStore, TokenCipher } from '@livegate/oauth';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

async function main(): Promise<void> {
  const [command, service, key, accessToken] = process.argv.slice(2);
  const store = new KeyringTokenStore(
    createOsKeyring(service),
    new TokenCipher([process.env.TOKEN_SECRET ?? '']),
  );
  try {
    if (command === 'save') {
      await store.save(key, { accessToken, tokenType: 'Bearer', refreshToken: `r-${accessToken}` });
      print({ saved: key });
    } else {
      print({ tokens: await store.load(key) });
    }
  } catch (error) {
    print({ error: (error as Error).message, name: (error as Error).name });
  }
}

void main();
