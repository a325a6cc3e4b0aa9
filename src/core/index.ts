/** The pipeline spec: types, validation, graph, builders. Pure; safe to import from workflows. */
export * from './types';
export * from './states';
export * from './duration';
export * from './graph';
export * from './validate';
export * from './builders';
export * from './mermaid';
