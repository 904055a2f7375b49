// The model configuration a scenario selects with its `kernel` and `driver` lines.

import { DEFAULT_CONFIG, type ModelConfig } from '../model/apply';
import type { Scenario } from './parse';

export function scenarioConfig(sc: Scenario): ModelConfig {
  return {
    ...DEFAULT_CONFIG,
    obtainPrealloc: sc.obtainPrealloc,
    callbacks: {
      vmBoFreeTakesResv: sc.vmBoFreeTakesResv,
      ...(sc.vmBoFreeName ? { vmBoFreeName: sc.vmBoFreeName } : {}),
      ...(sc.vmBoFreeUnpins ? { vmBoFreeUnpins: true } : {}),
    },
    ...(sc.deferFree ? { deferFree: sc.deferFree } : {}),
    ...(sc.zombieCheck !== undefined ? { zombieCheck: sc.zombieCheck } : {}),
  };
}
