/**
 * Compiling the built-in checks for a monitor's options; the default lists are compiled once per process.
 * @module
 */
import { BuiltinChecks } from './builtin-checks.js';
import { DEFAULT_ALLOWLIST, DEFAULT_TERM_GROUPS, type TermGroup } from './default-terms.js';
import { SUPPORTED_LOCALES, validateLocales } from './locales/locale-terms.js';
import type { GuardrailsMonitorOptions } from './monitor-options.js';
import { DEFAULT_ANACHRONISMS } from './phrases.js';

let sharedDefaultBuiltins: BuiltinChecks | undefined;

/** The default lists compiled once per process (they are immutable). */
function defaultBuiltins(): BuiltinChecks {
  sharedDefaultBuiltins ??= new BuiltinChecks({
    termGroups: DEFAULT_TERM_GROUPS,
    allowlist: DEFAULT_ALLOWLIST,
    anachronisms: DEFAULT_ANACHRONISMS,
    toggles: { terms: true, pii: true, secrets: true, promptInjection: true, characterBreaks: true },
    locales: SUPPORTED_LOCALES,
  });
  return sharedDefaultBuiltins;
}

/** The compiled built-in checks for `options` (the shared default instance when nothing is customised). */
export function builtinsFor(options: GuardrailsMonitorOptions): BuiltinChecks {
  const isDefault =
    !options.terms &&
    !options.extraTerms &&
    !options.spoilers?.length &&
    !options.allowlist?.length &&
    !options.anachronisms &&
    !options.checks &&
    !options.locales;
  if (isDefault) return defaultBuiltins();
  const termGroups: TermGroup[] = [
    ...(options.terms ?? DEFAULT_TERM_GROUPS),
    ...(options.extraTerms ?? []),
    ...(options.spoilers ?? []).map((s) => ({
      category: 'spoiler',
      severity: s.severity ?? 'medium',
      terms: s.terms,
      unlockedBy: s.unlockedBy,
    })),
  ];
  return new BuiltinChecks({
    termGroups,
    allowlist: [...DEFAULT_ALLOWLIST, ...(options.allowlist ?? [])],
    anachronisms: options.anachronisms ?? DEFAULT_ANACHRONISMS,
    toggles: {
      terms: true,
      pii: true,
      secrets: true,
      promptInjection: true,
      characterBreaks: true,
      ...options.checks,
    },
    locales: options.locales ? validateLocales(options.locales) : SUPPORTED_LOCALES,
  });
}
