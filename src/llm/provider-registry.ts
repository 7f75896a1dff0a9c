import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Provider } from './provider.js';
import { HttpProvider } from './providers/http.js';
import { OllamaProvider } from './providers/ollama.js';
import { OpenAIProvider } from './providers/openai.js';
import { SimulatedProvider, type SimulatedProviderOptions } from './providers/simulated.js';

const NAME = /^[a-z][a-z0-9_.-]{0,63}$/;

/**
 * Providers by name. Built with the four built-ins (`ollama`, `openai`, `http`, `simulated`); hosts
 * add their own with {@link ProviderRegistry.register}. One registry per client (no global state).
 * @example
 * ```ts
 * const providers = new ProviderRegistry();
 * providers.register({ name: 'my-gateway', generate: async (req) => callGateway(req) });
 * const llm = new LLMClient({ modelRegistry, providers });
 * ```
 */
export class ProviderRegistry {
  private readonly byName = new Map<string, Provider>();

  constructor(options: { builtIns?: boolean; simulated?: SimulatedProviderOptions } = {}) {
    if (options.builtIns !== false) {
      for (const p of [
        new OllamaProvider(),
        new OpenAIProvider(),
        new HttpProvider(),
        new SimulatedProvider(options.simulated),
      ]) {
        this.byName.set(p.name, p);
      }
    }
  }

  /**
   * Adds a provider under `provider.name`. Throws `ConflictError` when the name is taken, unless
   * `replace` is set (e.g. to swap a built-in for an instrumented one).
   */
  register(provider: Provider, options: { replace?: boolean } = {}): this {
    if (typeof provider !== 'object' || provider === null || typeof provider.generate !== 'function') {
      throw new ValidationError('Expected `provider` to be an object with a `generate(request)` method', {
        field: 'provider',
      });
    }
    if (typeof provider.name !== 'string' || !NAME.test(provider.name)) {
      throw new ValidationError(
        `Expected \`provider.name\` to be lowercase letters, digits, '_', '.', '-' (max 64), got ${JSON.stringify(provider.name)}`,
        { field: 'provider.name' },
      );
    }
    if (this.byName.has(provider.name) && !options.replace) {
      throw new ConflictError(
        `A provider named '${provider.name}' is already registered; pass { replace: true } to replace it`,
      );
    }
    this.byName.set(provider.name, provider);
    return this;
  }

  /** The provider named `name`; throws `NotFoundError` listing the known names. */
  get(name: string): Provider {
    const p = this.byName.get(name);
    if (!p)
      throw new NotFoundError(`No provider named '${name}'; known: ${[...this.byName.keys()].join(', ')}`);
    return p;
  }

  /** Whether a provider named `name` is registered. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Registered names. */
  names(): string[] {
    return [...this.byName.keys()];
  }
}
