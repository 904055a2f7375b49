import pkg from '../package.json';

export const TOOL = 'gpuvm-review';
export const VERSION: string = pkg.version;
