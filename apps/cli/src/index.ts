export * from './platform/platform-launcher.js';
export * from './platform/service-process.js';
export * from './platform/key-provisioning.js';
export * from './platform/repo-paths.js';
export * from './teacher/mnist-loader.js';
export * from './teacher/mnist-idx.slicer.js';
