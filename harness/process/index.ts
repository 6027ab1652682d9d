/** Tracked child processes and the system under test. See spawn.ts and sut.ts. */
export { spawnManaged, stopAllManaged, liveManaged, DEFAULT_GRACE_MS, type SpawnManagedOptions } from './spawn.ts';
export { prepareSut, startSut, SutError, DEFAULT_READY_TIMEOUT_MS, type SutErrorCode, type StartSutOptions } from './sut.ts';
export { pidsInNetns, pidAlive } from './procfs.ts';
