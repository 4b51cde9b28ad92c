export * from './aggregator.env.js';
export * from './aggregator.module.js';
