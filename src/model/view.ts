// What the lifecycle webview shows, and the messages between it and the
// extension host. Plain data: the host builds it from a simulation, the
// webview (media/) draws it, tests feed it fixtures.

import type { Finding, Range } from './finding';
import type { TraceStep } from './trace';

export interface PathView {
  id: string;
  /** "error path: GpuVaAlloc::new fails (line 52)", "normal return". */
  label: string;
  /** Findings on this path (each finding's `steps` may be omitted here: `steps` below is the whole path). */
  findings: Finding[];
  /** Every step of the path from function entry to its exit. */
  steps: TraceStep[];
}

export interface SimulationView {
  kind: 'function' | 'scenario';
  /** "panthor_vm_bind_run_job" or the scenario file name. */
  title: string;
  /** The document the steps' locations refer to. */
  file: string;
  /** How to show it (a workspace-relative path); `file` when absent. */
  fileLabel?: string;
  language: 'rust' | 'c' | 'gpuvm';
  /** "DMA-fence signalling path (run_job)", "process context". */
  context: string;
  /** "immediate mode, RESV_PROTECTED". */
  mode: string;
  /** Paths with findings first. */
  paths: PathView[];
  /** Set when the exploration hit its budget or the function parsed only in part. */
  incomplete?: string;
}

/** Host -> webview. */
export type ToWebview =
  | { type: 'show'; view: SimulationView; pathId?: string; step?: number }
  /** The editor's cursor moved to this line of `file`: highlight the matching step. */
  | { type: 'cursor'; file: string; line: number }
  | { type: 'theme'; kind: 'light' | 'dark' | 'high-contrast' };

/** Webview -> host. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'reveal'; file: string; range: Range }
  | { type: 'copyText'; text: string }
  | { type: 'selectPath'; pathId: string }
  | { type: 'selectStep'; pathId: string; step: number };

/** What the webview keeps with vscode.setState(), so a reload restores it. */
export interface WebviewState {
  view?: SimulationView;
  pathId?: string;
  step?: number;
}
