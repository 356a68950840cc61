/**
 * Resource budgets of the loaders, checked before anything is allocated, so a small hostile file can
 * neither exhaust memory nor stall the tab or the CLI. Each limit, when hit, is a typed error naming it.
 * The same limits apply in Node and in the browser (the loaders are isomorphic).
 */

/** Fixed allowance on top of the per-file multiples below (64 MiB). */
export const FIXED_ALLOWANCE_BYTES = 64 * 2 ** 20;

/** Zip entries or safetensors tensors in one file at most (a DT checkpoint has a few hundred). */
export const MAX_ENTRIES = 65_536;
/** Zip archives: total uncompressed bytes may reach this multiple of the file size (plus the allowance). */
export const ZIP_EXPANSION_FACTOR = 16;
/** Hard cap on a zip archive's total uncompressed bytes (4 GiB). */
export const MAX_ZIP_TOTAL_BYTES = 4 * 2 ** 30;

/** Torch tensors materialised from one file may total this multiple of the file size (plus the allowance). */
export const TENSOR_EXPANSION_FACTOR = 4;
/** Hard cap on the tensor bytes materialised from one file (4 GiB). */
export const MAX_TENSOR_TOTAL_BYTES = 4 * 2 ** 30;
/** Largest tensor materialised from a strided view (elements). */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;

/** Pickles: nesting depth of containers (Python's own recursion limit is 1000). */
export const MAX_PICKLE_DEPTH = 100;
/** Pickles: memo entries (the memo is a dense array; indices at or above this are refused). */
export const MAX_PICKLE_MEMO = 2 ** 22;
/**
 * Pickles: values reachable from the result, a shared container counted once per reference (what a
 * conversion to plain objects or JSON would build); also bounds the structure checker's own maps.
 */
export const MAX_PICKLE_NODES = 2 ** 22;
/** Pickles: values pushed while decoding (bounds the memory of the decoder's stack and containers). */
export const MAX_PICKLE_VALUES = 2 ** 22;
/** Pickles: bytes of one binary integer (LONG1 / LONG4); 2048 bytes is about 4900 decimal digits. */
export const MAX_PICKLE_INT_BYTES = 2048;
/** Pickles: decimal digits of one text integer (Python's `sys.int_info.default_max_str_digits`). */
export const MAX_PICKLE_INT_DIGITS = 4300;
/** Largest pickle accepted (1 GiB; a checkpoint's data.pkl is a few KB, trajectory files hold arrays). */
export const MAX_PICKLE_BYTES = 2 ** 30;

/** Decompressed trajectory files (gzip, xz) may reach this multiple of the file size (plus the allowance). */
export const DECOMPRESSION_FACTOR = 256;
/** Hard cap on a decompressed trajectory file (1 GiB). */
export const MAX_DECOMPRESSED_BYTES = 2 ** 30;

/** JSON headers (safetensors): nesting depth of arrays and objects. */
export const MAX_JSON_DEPTH = 64;

/** Budget for bytes derived from a file of `fileBytes` bytes: `factor` x the file plus the fixed allowance. */
export function derivedBudget(fileBytes: number, factor: number, cap: number): number {
  return Math.min(cap, factor * fileBytes + FIXED_ALLOWANCE_BYTES);
}
