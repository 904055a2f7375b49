// Loading web-tree-sitter and the Rust and C grammars from bytes, so the same
// code runs in Node (the CLI, the desktop extension host) and in a browser
// (VS Code for the Web): whoever calls us says how to read a WASM file.

import { Edit, Language, Parser, type Tree } from 'web-tree-sitter';

export type WasmName = 'web-tree-sitter.wasm' | 'tree-sitter-rust.wasm' | 'tree-sitter-c.wasm';
export type WasmLoader = (name: WasmName) => Promise<Uint8Array>;

export interface Parsers {
  rust: Parser;
  c: Parser;
  languages: { rust: Language; c: Language };
}

let initialised: Promise<void> | undefined;

/** Initialise web-tree-sitter once per process and load both grammars. */
export async function loadParsers(load: WasmLoader): Promise<Parsers> {
  initialised ??= load('web-tree-sitter.wasm').then((wasmBinary) => Parser.init({ wasmBinary }));
  try {
    await initialised;
  } catch (e) {
    initialised = undefined;
    throw new Error(`cannot initialise tree-sitter: ${e instanceof Error ? e.message : String(e)}`);
  }
  const [rustLang, cLang] = await Promise.all([
    load('tree-sitter-rust.wasm').then((b) => Language.load(b)),
    load('tree-sitter-c.wasm').then((b) => Language.load(b)),
  ]);
  const rust = new Parser();
  rust.setLanguage(rustLang);
  const c = new Parser();
  c.setLanguage(cLang);
  return { rust, c, languages: { rust: rustLang, c: cLang } };
}

/** Parse, turning tree-sitter's null (cancelled) into an error. */
export function parseText(parser: Parser, text: string, old?: Tree | null): Tree {
  const t = parser.parse(text, old ?? null);
  if (!t) throw new Error('tree-sitter returned no tree');
  return t;
}

export type { Tree, Parser, Language };
export { Edit };
