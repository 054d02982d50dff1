// Checkpoint I/O: safetensors read/write and PyTorch .pth reading (zip and legacy formats, restricted unpickler).
export { type FileDType, type FileArray, type RawTensor, FILE_DTYPE_SIZE, float16ToNumber, bfloat16ToNumber, numberToFloat16, numberToBFloat16 } from './dtypes.js';
export { type CheckpointLoadOptions, RADIX_DTYPE_OF, rawToTensor, tensorToRaw } from './convert.js';
export { type SafetensorsContents, type SafetensorsReadOptions, type SafetensorsLoadOptions, encodeSafetensors, decodeSafetensors, saveSafetensors, loadSafetensors } from './safetensors.js';
export { type PthIndexEntry, type PthReadOptions, type PthLoadOptions, readPthIndex, decodePth, loadPth } from './pth.js';
export { type CheckpointLimits, DEFAULT_MAX_PICKLE_BYTES, DEFAULT_MAX_PICKLE_OPS, MAX_PICKLE_LINE_BYTES, defaultByteBudget } from './limits.js';
export { PyGlobal, type UnpickleOptions, unpickle } from './pickle.js';
export { atomicWriteFile } from './atomic-write.js';
export { type DecodedStorage, decodeLegacyStorage, TensorRef, type StorageRef, checkTensorRef, gatherTensorBytes, torchGlobals, SET_STATE, bytesToArray } from './torch-storage.js';
