// What every algorithm module exports: its id, its source, its parameters and a run.
import type { Engine, EngineNeeds } from '../engine/engine.js';
import type { ReplayResult } from '../engine/types.js';

/** How a parameter's value is read from the command line. */
export type ParamKind = 'int' | 'size' | 'rate' | 'duration' | 'percent' | 'number' | 'choice';

/** One named, defaulted, documented parameter. */
export interface ParamSpec {
  /** Command-line name (kebab-case); the JSON key is its camelCase form. */
  name: string;
  kind: ParamKind;
  default: number | string;
  /** One line: what it is and its unit. */
  doc: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** duration: the unit of a bare number ('ms' where the source's own knob is in ms); without it a duration needs a unit. */
  bareUnit?: 'ms' | 's';
}

/** Parameter values by JSON key (camelCase). */
export type ParamValues = Record<string, number | string>;

/** A migration algorithm: a small policy over the engine. */
export interface Algorithm {
  id: string;
  /** Paper or source file it follows. */
  source: string;
  /** One line for --help. */
  summary: string;
  params: readonly ParamSpec[];
  needs?: EngineNeeds;
  /** 'precopy': measured against the oracle; 'postcopy' and 'bound' are not. */
  family: 'precopy' | 'postcopy' | 'bound';
  /** It changes what the guest does or what is migrated (throttling, unmigrated pages): the oracle's bound does not hold for it. */
  altersWorkload?: boolean;
  run(e: Engine, params: ParamValues): ReplayResult;
}

/** camelCase JSON key of a kebab-case parameter name. */
export function paramKey(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
