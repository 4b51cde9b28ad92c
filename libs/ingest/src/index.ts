export * from './multipart-parts.reader.js';
export * from './record-upload.reader.js';
export * from './drain-request.interceptor.js';
