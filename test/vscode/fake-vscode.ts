// A small stand-in for the `vscode` module: enough of the API for the
// extension to activate, watch documents and publish diagnostics, so the host
// layer can be tested (and timed) without VS Code. Documents and edits are
// driven by the test; what the extension registers is recorded.

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private ls: Array<Listener<T>> = [];
  event = (l: Listener<T>): { dispose(): void } => { this.ls.push(l); return { dispose: () => { this.ls = this.ls.filter((x) => x !== l); } }; };
  fire(e: T): void { for (const l of [...this.ls]) l(e); }
  dispose(): void { this.ls = []; }
}

export class Uri {
  private constructor(readonly scheme: string, readonly path: string) {}
  static file(p: string): Uri { return new Uri('file', p); }
  static parse(s: string): Uri { const m = /^(\w[\w+.-]*):\/\/(.*)$/.exec(s); return m ? new Uri(m[1]!, m[2]!.replace(/^[^/]*/, '')) : Uri.file(s); }
  static joinPath(u: Uri, ...parts: string[]): Uri { return new Uri(u.scheme, [u.path.replace(/\/$/, ''), ...parts].join('/')); }
  get fsPath(): string { return this.path; }
  toString(): string { return `${this.scheme}://${this.path}`; }
  with(): Uri { return this; }
}

export class Position { constructor(readonly line: number, readonly character: number) {} }
export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: number | Position, b: number | Position, c?: number, d?: number) {
    this.start = typeof a === 'number' ? new Position(a, b as number) : a;
    this.end = typeof a === 'number' ? new Position(c!, d!) : (b as Position);
  }
}
export class Selection extends Range { get active(): Position { return this.end; } }
export class Location { constructor(readonly uri: Uri, readonly range: Range) {} }
export enum DiagnosticSeverity { Error = 0, Warning = 1, Information = 2, Hint = 3 }
export class Diagnostic {
  source?: string;
  code?: unknown;
  relatedInformation?: DiagnosticRelatedInformation[];
  tags?: number[];
  constructor(readonly range: Range, readonly message: string, readonly severity: DiagnosticSeverity) {}
}
export class DiagnosticRelatedInformation { constructor(readonly location: Location, readonly message: string) {} }
export class MarkdownString { isTrusted = false; constructor(readonly value: string) {} }
export class Hover { constructor(readonly contents: unknown, readonly range?: Range) {} }
export class CodeLens { constructor(readonly range: Range, readonly command?: unknown) {} }
export class CodeAction { edit?: WorkspaceEdit; command?: unknown; diagnostics?: Diagnostic[]; isPreferred?: boolean; constructor(readonly title: string, readonly kind?: unknown) {} }
export const CodeActionKind = { QuickFix: 'quickfix' };
export class TextEdit { constructor(readonly range: Range, readonly newText: string) {} }
export class WorkspaceEdit { readonly edits = new Map<string, TextEdit[]>(); set(u: Uri, e: TextEdit[]): void { this.edits.set(u.toString(), e); } }
export class ThemeColor { constructor(readonly id: string) {} }
export enum LanguageStatusSeverity { Information = 0, Warning = 1, Error = 2 }
export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }
export enum ViewColumn { Active = -1, Beside = -2, One = 1 }
export enum TextEditorRevealType { Default = 0, InCenter = 1, InCenterIfOutsideViewport = 2 }

export interface FakeChange { range: Range; rangeOffset: number; rangeLength: number; text: string }

/** A text document the test edits. */
export class FakeDocument {
  isClosed = false;
  constructor(readonly uri: Uri, readonly languageId: string, private text: string, public version = 1) {}
  getText(): string { return this.text; }
  get lineCount(): number { return this.text.split('\n').length; }
  lineAt(n: number): { text: string } { return { text: this.text.split('\n')[n] ?? '' }; }
  positionAt(off: number): Position {
    const before = this.text.slice(0, off).split('\n');
    return new Position(before.length - 1, before[before.length - 1]!.length);
  }
  /** Replace [offset, offset+length) by `insert`, as one change event. */
  edit(offset: number, length: number, insert: string): FakeChange {
    const c = { range: new Range(this.positionAt(offset), this.positionAt(offset + length)), rangeOffset: offset, rangeLength: length, text: insert };
    this.text = this.text.slice(0, offset) + insert + this.text.slice(offset + length);
    this.version++;
    return c;
  }
}

export const state = {
  diagnostics: new Map<string, Diagnostic[]>(),
  commands: new Map<string, (...a: unknown[]) => unknown>(),
  documents: [] as FakeDocument[],
  settings: {} as Record<string, unknown>,
  files: new Map<string, Uint8Array>(),
  readFile: undefined as undefined | ((u: Uri) => Promise<Uint8Array>),
  log: [] as string[],
  onOpen: new EventEmitter<FakeDocument>(),
  onChange: new EventEmitter<{ document: FakeDocument; contentChanges: FakeChange[] }>(),
  onSave: new EventEmitter<FakeDocument>(),
  onClose: new EventEmitter<FakeDocument>(),
  onConfig: new EventEmitter<{ affectsConfiguration(s: string): boolean }>(),
  onSelection: new EventEmitter<unknown>(),
  /** Fired whenever the extension publishes diagnostics for a document. */
  onDiagnostics: new EventEmitter<{ uri: string; count: number }>(),
};

const disposable = { dispose(): void {} };

export const workspace = {
  get textDocuments(): FakeDocument[] { return state.documents; },
  fs: {
    readFile: async (u: Uri): Promise<Uint8Array> => {
      if (state.readFile) return state.readFile(u);
      const b = state.files.get(u.path);
      if (!b) throw new Error(`ENOENT ${u.path}`);
      return b;
    },
  },
  getConfiguration: (section: string) => ({
    get: <T>(key: string, def?: T): T => (`${section}.${key}` in state.settings ? state.settings[`${section}.${key}`] as T : def as T),
  }),
  onDidOpenTextDocument: state.onOpen.event,
  onDidChangeTextDocument: state.onChange.event,
  onDidSaveTextDocument: state.onSave.event,
  onDidCloseTextDocument: state.onClose.event,
  onDidChangeConfiguration: state.onConfig.event,
  asRelativePath: (u: Uri | string): string => String(typeof u === 'string' ? u : u.path),
  openTextDocument: async (u: Uri): Promise<FakeDocument> => state.documents.find((d) => d.uri.toString() === u.toString())!,
  findFiles: async (): Promise<Uri[]> => [],
};

export const languages = {
  createDiagnosticCollection: (_name: string) => ({
    set: (u: Uri, d: Diagnostic[]) => { state.diagnostics.set(u.toString(), d); state.onDiagnostics.fire({ uri: u.toString(), count: d.length }); },
    delete: (u: Uri) => { state.diagnostics.delete(u.toString()); },
    clear: () => state.diagnostics.clear(),
    dispose: () => state.diagnostics.clear(),
  }),
  createLanguageStatusItem: () => ({ name: '', text: '', detail: '', severity: 0, command: undefined as unknown, dispose() {} }),
  registerCodeActionsProvider: () => disposable,
  registerHoverProvider: () => disposable,
  registerCodeLensProvider: () => disposable,
};

export const window = {
  createOutputChannel: () => ({
    info: (m: string) => state.log.push(`info ${m}`), warn: (m: string) => state.log.push(`warn ${m}`),
    error: (m: string) => state.log.push(`error ${m}`), trace: (m: string) => state.log.push(`trace ${m}`),
    show() {}, dispose() {},
  }),
  createTextEditorDecorationType: () => disposable,
  registerWebviewPanelSerializer: () => disposable,
  onDidChangeTextEditorSelection: state.onSelection.event,
  showInformationMessage: async (m: string) => { state.log.push(`message ${m}`); return undefined; },
  showWarningMessage: async (m: string) => { state.log.push(`message ${m}`); return undefined; },
  showErrorMessage: async (m: string) => { state.log.push(`message ${m}`); return undefined; },
  setStatusBarMessage: () => disposable,
  activeTextEditor: undefined,
  visibleTextEditors: [],
};

export const commands = {
  registerCommand: (id: string, fn: (...a: unknown[]) => unknown) => { state.commands.set(id, fn); return disposable; },
  executeCommand: async (id: string, ...a: unknown[]) => state.commands.get(id)?.(...a),
};

export const env = { clipboard: { writeText: async () => {} } };

/** Open a document: the extension sees onDidOpenTextDocument. */
export function openDocument(path: string, languageId: string, text: string): FakeDocument {
  const d = new FakeDocument(Uri.file(path), languageId, text);
  state.documents.push(d);
  state.onOpen.fire(d);
  return d;
}

export function changeDocument(d: FakeDocument, offset: number, length: number, insert: string): void {
  const c = d.edit(offset, length, insert);
  state.onChange.fire({ document: d, contentChanges: [c] });
}

export function closeDocument(d: FakeDocument): void {
  d.isClosed = true;
  state.documents = state.documents.filter((x) => x !== d);
  state.onClose.fire(d);
}

export function reset(): void {
  state.diagnostics.clear();
  state.commands.clear();
  state.documents = [];
  state.settings = {};
  state.log = [];
  for (const e of [state.onOpen, state.onChange, state.onSave, state.onClose, state.onConfig, state.onSelection]) e.dispose();
}
