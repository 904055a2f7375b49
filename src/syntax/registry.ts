// The front ends by language and file name.

import { cFrontend } from './c';
import type { Frontend } from './frontend';
import { rustFrontend } from './rust';

export const FRONTENDS: readonly Frontend[] = [rustFrontend, cFrontend];

export function frontendFor(file: string): Frontend | undefined {
  const lower = file.toLowerCase();
  return FRONTENDS.find((f) => f.extensions.some((e) => lower.endsWith(e)));
}

export function frontendByLanguage(language: 'rust' | 'c'): Frontend {
  return FRONTENDS.find((f) => f.language === language)!;
}
