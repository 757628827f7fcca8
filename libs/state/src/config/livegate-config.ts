import { registerAs, type ConfigFactory, type ConfigFactoryKeyHost } from '@nestjs/config';
import type { ConfigParser } from './config-parsers';

/** Raw values of a configuration's environment variables, by name after the prefix. */
export type RawEnvironment = Readonly<Record<string, string | undefined>>;

/** One setting: its option, the environment variable behind it, its parser and default. */
export interface ConfigVariable<T> {
  /** The variable's name after the prefix (`STATE_BACKEND`); left out for code-only options. */
  env?: string;
  parse: ConfigParser<T>;
  /** The value when neither the option nor the variable is set; left out for "unset". */
  default?: T | (() => T);
  description: string;
  /** The default as the documentation shows it. */
  defaultText: string;
  /** A secret: its value never appears in an error message. */
  secret?: boolean;
}

/** The variables of a configuration, one per resolved field. */
export type ConfigVariables<R> = { [K in keyof R]-?: ConfigVariable<Exclude<R[K], undefined>> };

/** A configuration check across fields: returns the problems it found, each naming its settings. */
export type ConfigCheck<R> = (values: R) => string[];

export interface ConfigDefinition<R> {
  /** Prefix of every variable, with its trailing `__` (`LIVEGATE_DEPLOY__`). */
  prefix: string;
  /** What the error message calls it: `Invalid <title> configuration: ...`. */
  title: string;
  variables: ConfigVariables<R>;
  /** Builds the error that stops the boot. */
  error: (message: string) => Error;
  /** Checks across fields, run once every field parsed. */
  checks?: readonly ConfigCheck<R>[];
}

/** One row of a configuration's documentation. */
export interface ConfigDocumentationRow {
  variable: string;
  option: string;
  defaultText: string;
  description: string;
}

/**
 * The one configuration mechanism of every Livegate library: a prefixed environment (read through
 * `@nestjs/config`), explicit module options checked by the same parsers, and defaults. Explicit
 * options win over the environment, which wins over the defaults; a variable an option replaces is
 * not parsed at all. Every bad variable or option is collected and the boot stops with one error
 * naming each of them.
 */
export class LivegateConfig<R> {
  readonly prefix: string;
  readonly title: string;
  readonly variables: ConfigVariables<R>;
  private readonly definition: ConfigDefinition<R>;

  constructor(definition: ConfigDefinition<R>) {
    this.definition = definition;
    this.prefix = definition.prefix;
    this.title = definition.title;
    this.variables = definition.variables;
  }

  /** The full environment variable names this configuration reads. */
  get environmentNames(): string[] {
    return this.entries()
      .filter(([, variable]) => variable.env !== undefined)
      .map(([, variable]) => this.prefix + variable.env);
  }

  /** The raw values of this configuration's variables in `env` (default `process.env`). */
  read(env: NodeJS.ProcessEnv = process.env): RawEnvironment {
    const raw: Record<string, string | undefined> = {};
    for (const [, variable] of this.entries()) {
      if (variable.env !== undefined) {
        raw[variable.env] = env[this.prefix + variable.env];
      }
    }
    return Object.freeze(raw);
  }

  /**
   * A `@nestjs/config` namespace holding the raw values, so that `ConfigModule.forRoot` (an env
   * file, say) loads them first: `ConfigModule.forFeature(config.namespace('livegate.state'))`.
   */
  namespace(token: string): ConfigFactory<RawEnvironment> & ConfigFactoryKeyHost<RawEnvironment> {
    return registerAs(token, () => this.read());
  }

  /**
   * Merges explicit options over the environment over the defaults, parsing each value with its
   * variable's parser. Throws the configuration's error naming every bad variable and option.
   */
  resolve(options: Readonly<Partial<Record<keyof R, unknown>>>, environment: RawEnvironment): R {
    const errors: string[] = [];
    const values: Partial<Record<keyof R, unknown>> = {};
    for (const [key, variable] of this.entries()) {
      const explicit = options[key];
      if (explicit !== undefined) {
        const parsed = variable.parse(explicit);
        if ('error' in parsed) {
          errors.push(`option ${String(key)}=${this.show(explicit, variable)} ${parsed.error}`);
        } else {
          values[key] = parsed.value;
        }
        continue;
      }
      const raw = variable.env === undefined ? undefined : environment[variable.env];
      if (raw !== undefined) {
        const parsed = variable.parse(raw);
        if ('error' in parsed) {
          errors.push(`${this.prefix}${variable.env}=${this.show(raw, variable)} ${parsed.error}`);
        } else {
          values[key] = parsed.value;
        }
        continue;
      }
      const fallback = variable.default;
      values[key] = typeof fallback === 'function' ? (fallback as () => unknown)() : fallback;
    }
    if (errors.length === 0) {
      for (const check of this.definition.checks ?? []) {
        errors.push(...check(values as R));
      }
    }
    if (errors.length > 0) {
      throw this.definition.error(`Invalid ${this.title} configuration: ${errors.join('; ')}`);
    }
    return values as R;
  }

  /** The full variable name of a field (`LIVEGATE_DEPLOY__SESSION_TTL`), or the option name. */
  nameOf(key: keyof R): string {
    const variable = this.variables[key];
    return variable.env === undefined ? `option ${String(key)}` : this.prefix + variable.env;
  }

  /** One row per environment variable, for the documentation. */
  documentation(): ConfigDocumentationRow[] {
    return this.entries()
      .filter(([, variable]) => variable.env !== undefined)
      .map(([key, variable]) => ({
        variable: this.prefix + variable.env,
        option: String(key),
        defaultText: variable.defaultText,
        description: variable.description,
      }));
  }

  private entries(): [keyof R, ConfigVariable<unknown>][] {
    return Object.entries(this.variables) as [keyof R, ConfigVariable<unknown>][];
  }

  private show(value: unknown, variable: ConfigVariable<unknown>): string {
    if (variable.secret) {
      return '(hidden)';
    }
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  }
}

/** Defines a configuration; see `LivegateConfig`. */
export function defineConfig<R>(definition: ConfigDefinition<R>): LivegateConfig<R> {
  return new LivegateConfig(definition);
}
