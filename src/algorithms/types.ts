// What every algorithm module exports: its id, its source, its parameters and a run.
import type { Engine, EngineNeeds } from '../engine/engine.js';
import type { ReplayResult } from '../engine/types.js';
import type { ParamSpec, ParamValues } from '../params/index.js';

/** A migration algorithm: a small policy over the engine. */
export interface Algorithm {
  id: string;
  /** Paper or source file it follows. */
  source: string;
  /** One line for --help. */
  summary: string;
  /** Its parameters (src/params/): defaults are values in base units or choice text. */
  params: readonly ParamSpec<number | string>[];
  needs?: EngineNeeds;
  /** 'precopy': measured against the oracle; 'postcopy' and 'bound' are not. */
  family: 'precopy' | 'postcopy' | 'bound';
  /** It changes what the guest does or what is migrated (throttling, unmigrated pages): the oracle's bound does not hold for it. */
  altersWorkload?: boolean;
  run(e: Engine, params: ParamValues): ReplayResult;
}
