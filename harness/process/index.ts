/** Tracked child processes and the system under test. See spawn.ts and sut.ts. */
export { spawnManaged, stopAllManaged, liveManaged } from './spawn.ts';
export { prepareSut, startSut, SutError, type StartSutOptions } from './sut.ts';
