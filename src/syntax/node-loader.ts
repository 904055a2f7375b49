// Reading the WASM files in Node: next to the bundle (dist/), else from
// node_modules (tests run from out/).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WasmLoader, WasmName } from './parser';

const PACKAGE: Record<WasmName, string> = {
  'web-tree-sitter.wasm': 'web-tree-sitter/web-tree-sitter.wasm',
  'tree-sitter-rust.wasm': 'tree-sitter-rust/tree-sitter-rust.wasm',
  'tree-sitter-c.wasm': 'tree-sitter-c/tree-sitter-c.wasm',
};

export function nodeWasmLoader(extraDirs: string[] = []): WasmLoader {
  return async (name) => {
    for (const d of [...extraDirs, __dirname, join(__dirname, '..', '..', '..', 'dist')]) {
      const p = join(d, name);
      if (existsSync(p)) return new Uint8Array(readFileSync(p));
    }
    try {
      return new Uint8Array(readFileSync(require.resolve(PACKAGE[name])));
    } catch {
      throw new Error(`${name} not found next to ${__dirname} nor in node_modules`);
    }
  };
}
