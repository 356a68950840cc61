/**
 * Reusable scratch buffers for intermediates that never leave the function using them (a fused
 * product before it is rearranged, per-head panels). A fresh large Float32Array is zeroed and
 * page-faulted in on every allocation, which at the forward pass's sizes costs about as much as
 * rearranging it. `borrow` lends a buffer (a view of exactly `size` floats, holding garbage: write every
 * element before reading one) and `release` takes it back; a nested borrower (e.g. a hook running
 * another forward) gets a different buffer. The pool holds at most as many buffers as were ever
 * borrowed at once.
 */
export class ScratchPool {
  /** Whole buffers not lent out. */
  private readonly free: Float32Array[] = [];

  borrow(size: number): Float32Array {
    let best = -1;
    let largest = -1;
    this.free.forEach((buf, i) => {
      if (buf.length >= size && (best < 0 || buf.length < this.free[best].length)) best = i;
      if (largest < 0 || buf.length > this.free[largest].length) largest = i;
    });
    if (best < 0) {
      // Every free buffer is too small: replace the largest rather than keep it alongside.
      if (largest >= 0) this.free.splice(largest, 1);
      return new Float32Array(size);
    }
    const [buf] = this.free.splice(best, 1);
    return buf.subarray(0, size);
  }

  /** Returns a buffer from `borrow` (it must not be used afterwards). */
  release(view: Float32Array): void {
    this.free.push(new Float32Array(view.buffer, 0, view.buffer.byteLength / 4));
  }
}
