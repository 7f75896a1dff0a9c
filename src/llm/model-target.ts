import { checkProviderEndpoint } from '../internal/provider-endpoint.js';
import type { Target } from './endpoint-caller.js';
import { type ParsedModelConfiguration, parseModelConfiguration } from './model-config.js';
import type { Model } from './types.js';

// Parsed once per model object: registry snapshots hand out the same objects until a model changes.
const parsedConfigs = new WeakMap<Model, ParsedModelConfiguration | Error>();

/** The call target for a registry model; throws the `ValidationError` of an invalid configuration. @internal */
export function modelTarget(
  model: Model,
  useCase: string,
  variant: Target['variant'],
  deploymentId: string | null,
): Target {
  let config = parsedConfigs.get(model);
  if (config === undefined) {
    try {
      const field = `models[${model.id}].configuration`;
      config = parseModelConfiguration(model.configuration, field, {
        endpointOptional: model.provider === 'simulated',
      });
      checkProviderEndpoint(model.provider, config.endpoint, `${field}.endpoint`);
    } catch (error) {
      config = error as Error;
    }
    parsedConfigs.set(model, config);
  }
  if (config instanceof Error) throw config;
  return {
    kind: 'model',
    useCase,
    provider: model.provider,
    config,
    providerModel: config.model ?? model.modelName,
    model,
    variant,
    deploymentId,
  };
}
