// The extension's log output channel.

import * as vscode from 'vscode';

export class Log implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  constructor() {
    this.channel = vscode.window.createOutputChannel('GPUVM Review', { log: true });
  }
  info(m: string): void { this.channel.info(m); }
  warn(m: string): void { this.channel.warn(m); }
  error(m: string, e?: unknown): void { this.channel.error(e === undefined ? m : `${m}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`); }
  trace(m: string): void { this.channel.trace(m); }
  dispose(): void { this.channel.dispose(); }
}
