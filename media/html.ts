// The webview's HTML page, for the extension host to hand to
// webview.html. Nothing in it comes from the code under review: the data
// arrives later by postMessage and is rendered as text.

export interface WebviewHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  /** A fresh random nonce per page (see makeNonce). */
  nonce: string;
  /** webview.asWebviewUri(dist/webview/main.js) */
  scriptUri: string;
  /** webview.asWebviewUri(dist/webview/main.css) */
  styleUri: string;
  title?: string;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]!);

/** 32 random bytes in base64: what the CSP needs to tell our script from an injected one. */
export function makeNonce(): string {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * webview.cspSource is one or more sources separated by spaces: 'self' or host/scheme sources
 * (`https://*.vscode-cdn.net`, `vscode-webview:`). Anything else (a `;`, a quote, a keyword such
 * as 'unsafe-inline') could widen or end the policy.
 */
export function validCspSource(src: string): boolean {
  const tokens = src.trim().split(/ +/);
  return tokens.length > 0 && tokens.every((t) => t === "'self'" || /^[a-z][a-z0-9+.-]*:(\/\/[A-Za-z0-9*.:\-/[\]_~%]*)?$/.test(t));
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ') + ';';
}

export function webviewHtml(opts: WebviewHtmlOptions): string {
  // A nonce or source that could close the attribute would defeat the policy: refuse it.
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(opts.nonce)) throw new Error('webviewHtml: the nonce must be at least 16 base64 characters');
  if (!validCspSource(opts.cspSource)) throw new Error(`webviewHtml: unexpected cspSource ${JSON.stringify(opts.cspSource)}`);
  const csp = contentSecurityPolicy(opts.cspSource, opts.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(opts.styleUri)}" nonce="${esc(opts.nonce)}">
<title>${esc(opts.title ?? 'GPUVM simulation')}</title>
</head>
<body>
<main id="app"></main>
<script nonce="${esc(opts.nonce)}" src="${esc(opts.scriptUri)}"></script>
</body>
</html>
`;
}
