/**
 * A typed-array `Conv2DBackpropFilter` kernel (the filter gradient of `conv1d`/`conv2d`) for
 * TensorFlow.js's `cpu` and `wasm` backends.
 *
 * Why: tfjs 4.22's `wasm` backend has no `Conv2DBackpropFilter` kernel at all (training a
 * convolution fails with "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"),
 * and the `cpu` backend's one goes through generic `TensorBuffer.get/set` calls per element:
 * on this project's 2-core VM it took 874 ms of a 1,000 ms training step of the beat CNN
 * (batch 64), i.e. 48 beats/s, too slow to train within 15 minutes. This kernel computes the
 * same sum with flat typed-array loops (NHWC only, dilation 1, which is what `conv1d` with
 * default arguments produces).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

type Attrs = {
  strides: number | [number, number];
  pad: "valid" | "same" | number;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
};

/**
 * Filter gradient of a 2-D NHWC convolution:
 * `dW[fh, fw, ci, co] = Σ_b Σ_oh Σ_ow x[b, oh·sh + fh − top, ow·sw + fw − left, ci] · dy[b, oh, ow, co]`.
 *
 * @param x - Input values, shape `[batch, inHeight, inWidth, inChannels]`, flattened.
 * @param dy - Output gradient, shape `[batch, outHeight, outWidth, outChannels]`, flattened.
 * @returns The gradient, shape `filterShape`, flattened.
 * @throws {RangeError} for NCHW data or dilations other than 1.
 */
export function conv2dBackpropFilterValues(
  x: Float32Array,
  xShape: readonly number[],
  dy: Float32Array,
  attrs: Attrs,
): Float32Array {
  if (attrs.dataFormat === "NCHW") throw new RangeError("conv2dBackpropFilterValues supports NHWC only");
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    outChannels,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
  } = info;
  const top = info.padInfo.top,
    left = info.padInfo.left;
  const dW = new Float32Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyOff = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let fh = 0; fh < filterHeight; fh++) {
          const ih = oh * strideHeight + fh - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let fw = 0; fw < filterWidth; fw++) {
            const iw = ow * strideWidth + fw - left;
            if (iw < 0 || iw >= inWidth) continue;
            const xOff = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            for (let ci = 0; ci < inChannels; ci++) {
              const xv = x[xOff + ci]!;
              if (xv === 0) continue;
              const wOff = ((fh * filterWidth + fw) * inChannels + ci) * outChannels;
              for (let co = 0; co < outChannels; co++) dW[wOff + co]! += xv * dy[dyOff + co]!;
            }
          }
        }
      }
    }
  }
  return dW;
}

interface CpuLike {
  data: { get(id: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: "float32", values: Float32Array): tf.TensorInfo;
}
interface WasmLike {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
}

const registered = new Set<string>();

/**
 * Registers {@link conv2dBackpropFilterValues} as the `Conv2DBackpropFilter` kernel of
 * `backendName` (`"cpu"` replaces the built-in one, `"wasm"` adds the missing one). Idempotent.
 */
export function registerFastConvGradient(backendName: "cpu" | "wasm"): void {
  if (registered.has(backendName)) return;
  if (tf.getKernel("Conv2DBackpropFilter", backendName)) tf.unregisterKernel("Conv2DBackpropFilter", backendName);
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as Attrs;
      if (backendName === "cpu") {
        const be = backend as unknown as CpuLike;
        const values = conv2dBackpropFilterValues(
          be.data.get(x.dataId).values as Float32Array,
          x.shape,
          be.data.get(dy.dataId).values as Float32Array,
          a,
        );
        return be.makeTensorInfo([...a.filterShape], "float32", values);
      }
      const be = backend as unknown as WasmLike;
      const values = conv2dBackpropFilterValues(be.typedArrayFromHeap(x), x.shape, be.typedArrayFromHeap(dy), a);
      const out = be.makeOutput([...a.filterShape], "float32");
      be.typedArrayFromHeap(out).set(values);
      return out;
    },
  });
  registered.add(backendName);
}
