internal import Glibc

/// A value that only one thread at a time may touch, guarded by a `pthread_mutex_t`.
///
/// Used instead of `Synchronization.Mutex`: on Linux that type's contended path runs in
/// `libswiftSynchronization.so`, which ThreadSanitizer does not instrument, so TSan misses the
/// acquire and reports every contended critical section as a data race (reproduced with four threads
/// incrementing a dictionary under a `Mutex`). TSan intercepts `pthread_mutex_lock`, so with this type
/// a report means a real race. Uncontended, a lock and unlock cost tens of nanoseconds.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    /// Guards `value`.
    public init(_ value: Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        self.value = value
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value. Not reentrant: `body` must not lock this again.
    public func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
