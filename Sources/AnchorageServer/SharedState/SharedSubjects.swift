import AnchorageBasics
import AnchorageControlPlane
import AnchorageLocking
import AnchorageRedis
import Dispatch
import Foundation

extension SharedStateKeys {
    /// Hash: subject ARN → the subject's record (JSON, as in `subjects.json`), merged from every replica.
    static let subjects = "anchorage:subjects"
    /// Counter: incremented by every push into ``subjects``; the score of ``subjectsChanges``.
    static let subjectsVersion = "anchorage:subjects:version"
    /// Sorted set: subject ARN scored by the version that last changed it (what a replica has not read yet).
    static let subjectsChanges = "anchorage:subjects:changes"
    /// Sorted set: subject ARN scored by its `lastSeenAt` (the least recently seen is forgotten first).
    static let subjectsSeen = "anchorage:subjects:seen"
    /// String: a random value set by the first replica to pull after Redis lost its data.
    static let subjectsEpoch = "anchorage:subjects:epoch"
}

/// Shares the Roles Anywhere subjects (ListSubjects, GetSubject) of every replica through Redis.
///
/// CreateSession records into the ``SubjectStore``'s memory only, as without Redis. Once a second, on the
/// store's flush timer (off the event loops), ``synchronize(done:)`` sends one pipelined batch: a push of the
/// subjects changed here (``pushScript``: merged in Redis, atomically, with what the other replicas pushed —
/// `lastSeenAt` the latest, certificates united and bounded as the store bounds them) and a pull of what
/// changed since this replica's last pull (``pullScript``). The store adopts the merged records. A subject seen
/// at one replica is listed at every other within about two seconds.
///
/// Bounded: Redis keeps at most ``SubjectStore/maximumSubjects`` subjects (the least recently seen goes); a
/// tick pushes at most ``pushLimit`` and pulls at most ``pullLimit`` records (the rest on the next ticks).
///
/// While Redis is unreachable the subjects stay local: what could not be pushed is pushed when it answers.
/// When Redis lost its data (its epoch changed, or after a reconnection), every local subject is pushed again
/// and everything is read again.
final class SharedSubjects: Sendable {
    static let pushLimit = 500
    static let pullLimit = 1000

    private struct State {
        /// The version of the last pull: the changes scored above it are not read yet.
        var version: Int64 = 0
        /// The epoch of the last pull (``pullScript``); nil before the first.
        var epoch: [UInt8]?
        var busy = false
        var lastLogged: Double?
    }

    let client: RedisClient
    let store: SubjectStore
    let logger: Logger
    private let state = Locked(State())
    /// Replies are parsed here, not on the Redis connection's thread (admission shares it).
    private let queue = DispatchQueue(label: "anchorage.shared-subjects", qos: .utility)
    /// What this replica sets as the epoch when Redis has none.
    private let candidateEpoch = UUID().uuidString

    init(client: RedisClient, store: SubjectStore, logger: Logger) {
        self.client = client
        self.store = store
        self.logger = logger
        store.startSharing()
    }

    /// After a reconnection: Redis may have restarted without its data, so push everything and read everything.
    func invalidate() {
        state.withLock { $0.version = 0 }
        store.markAllUnshared()
    }

    /// One exchange with Redis: pushes what changed here, pulls what changed elsewhere; `done` runs once the
    /// pulled records are adopted, or at once when an exchange is already under way. Never blocks.
    func synchronize(done: @escaping @Sendable () -> Void = {}) {
        let known: Int64? = state.withLock { state in
            guard !state.busy else { return nil }
            state.busy = true
            return state.version
        }
        guard let known else {
            done()
            return
        }
        let pushed = store.takeUnshared(limit: Self.pushLimit)
        var commands: [RedisCommand] = []
        if !pushed.isEmpty {
            commands.append(
                RedisCommand(
                    [
                        Array("EVAL".utf8), Array(Self.pushScript.utf8), Array("4".utf8),
                        Array(SharedStateKeys.subjects.utf8), Array(SharedStateKeys.subjectsVersion.utf8),
                        Array(SharedStateKeys.subjectsChanges.utf8), Array(SharedStateKeys.subjectsSeen.utf8),
                        Array(String(SubjectStore.maximumSubjects).utf8),
                        Array(String(SubjectStore.maximumCredentialsPerSubject).utf8),
                    ] + pushed.map(\.sharedBytes)))
        }
        commands.append(
            RedisCommand(
                "EVAL", Self.pullScript, "4", SharedStateKeys.subjects, SharedStateKeys.subjectsVersion,
                SharedStateKeys.subjectsChanges, SharedStateKeys.subjectsEpoch, String(known),
                String(Self.pullLimit), candidateEpoch))
        client.send(commands) { [self] result in
            queue.async { [self] in
                defer {
                    state.withLock { $0.busy = false }
                    done()
                }
                switch result {
                case .failure:
                    // Unreachable (logged by the connection) or late: pushed again on the next tick.
                    store.markUnshared(pushed.map(\.arn))
                case .success(let replies):
                    if !pushed.isEmpty, replies.first?.errorCode != nil || replies.count != 2 {
                        store.markUnshared(pushed.map(\.arn))
                        warn("the shared subjects refused a push", replies.first)
                    }
                    if let pull = replies.last { apply(pull) }
                }
            }
        }
    }

    /// Adopts a pull's reply: `[version, epoch, arn, record, arn, record, …]`.
    private func apply(_ reply: RESPValue) {
        guard case .array(let items?) = reply, items.count >= 2, case .integer(let version) = items[0],
            case .bulkString(let epoch?) = items[1]
        else {
            warn("the shared subjects answered a pull with something else than its reply", reply)
            return
        }
        let lost = state.withLock { state in
            defer { state.epoch = epoch }
            return state.epoch.map { $0 != epoch } ?? false
        }
        if lost {
            // Redis lost its data: push every local subject again and read everything again.
            store.markAllUnshared()
        }
        var records: [SubjectRecord] = []
        var index = 2
        while index + 1 < items.count {
            defer { index += 2 }
            guard case .bulkString(let body?) = items[index + 1] else { continue }
            if let record = SubjectRecord(sharedBytes: body) {
                records.append(record)
            } else {
                warn("a shared subject record does not parse; skipped", items[index])
            }
        }
        store.adopt(records)
        state.withLock { $0.version = lost ? 0 : version }
    }

    /// Logs a problem at most once a minute (it would otherwise repeat every second).
    private func warn(_ message: String, _ value: RESPValue?) {
        let now = MonotonicTime.seconds
        let due = state.withLock { state in
            guard state.lastLogged.map({ now - $0 >= 60 }) ?? true else { return false }
            state.lastLogged = now
            return true
        }
        guard due else { return }
        let detail = value.map { value -> String in
            if case .error(let text) = value { return String(text.prefix(200)) }
            return String((value.text ?? "").prefix(128))
        }
        logger.warning(message, ["detail": detail ?? ""])
    }

    /// Merges subject records into the hash. KEYS: the hash, the version, the changes, the seen set. ARGV: the
    /// most subjects, the most certificates per subject, then the records. Returns the new version.
    static let pushScript = """
        local maximumSubjects = tonumber(ARGV[1])
        local maximumCredentials = tonumber(ARGV[2])
        local version = redis.call('INCR', KEYS[2])
        local function valid(record)
          return type(record) == 'table' and type(record.subjectArn) == 'string'
            and type(record.lastSeenAt) == 'number' and type(record.createdAt) == 'number'
            and type(record.credentials) == 'table'
        end
        local function key(credential)
          return credential.serialNumber .. '\\n' .. credential.issuer
        end
        for i = 3, #ARGV do
          local parsed, incoming = pcall(cjson.decode, ARGV[i])
          if parsed and valid(incoming) then
            local arn = incoming.subjectArn
            local merged = incoming
            local sources = {incoming.credentials}
            local stored = redis.call('HGET', KEYS[1], arn)
            if stored then
              local ok, existing = pcall(cjson.decode, stored)
              if ok and valid(existing) then
                merged = existing
                merged.lastSeenAt = math.max(existing.lastSeenAt, incoming.lastSeenAt)
                merged.createdAt = math.min(existing.createdAt, incoming.createdAt)
                sources = {existing.credentials, incoming.credentials}
              end
            end
            -- One entry per certificate (serial and issuer, compared as bytes): the latest sighting wins.
            local index, list = {}, {}
            for _, source in ipairs(sources) do
              for _, credential in ipairs(source) do
                if type(credential) == 'table' and type(credential.serialNumber) == 'string'
                  and type(credential.issuer) == 'string' and type(credential.seenAt) == 'number' then
                  local at = index[key(credential)]
                  if at == nil then
                    list[#list + 1] = credential
                    index[key(credential)] = #list
                  elseif list[at].seenAt <= credential.seenAt then
                    list[at] = credential
                  end
                end
              end
            end
            if #list > 0 then
              table.sort(list, function(a, b)
                if a.seenAt ~= b.seenAt then return a.seenAt > b.seenAt end
                return key(a) < key(b)
              end)
              for j = #list, maximumCredentials + 1, -1 do list[j] = nil end
              merged.credentials = list
              redis.call('HSET', KEYS[1], arn, cjson.encode(merged))
              redis.call('ZADD', KEYS[3], version, arn)
              redis.call('ZADD', KEYS[4], merged.lastSeenAt, arn)
            end
          end
        end
        local excess = redis.call('ZCARD', KEYS[4]) - maximumSubjects
        if excess > 0 then
          for _, arn in ipairs(redis.call('ZRANGE', KEYS[4], 0, excess - 1)) do
            redis.call('HDEL', KEYS[1], arn)
            redis.call('ZREM', KEYS[3], arn)
            redis.call('ZREM', KEYS[4], arn)
          end
        end
        return version
        """

    /// The records changed since a version. KEYS: the hash, the version, the changes, the epoch. ARGV: the
    /// version known, the most records, this replica's candidate epoch. Returns `{version, epoch, arn, record,
    /// …}`. The epoch is set by the first pull after Redis lost its data (or at the very first): a replica that
    /// sees another than the one it knew pushes and reads everything again. When more than the most records
    /// changed, the pull stops after the version of the last one read (a version's records are at most
    /// ``pushLimit``), and the next pull goes on from there.
    static let pullScript = """
        redis.call('SET', KEYS[4], ARGV[3], 'NX')
        local epoch = redis.call('GET', KEYS[4])
        local version = tonumber(redis.call('GET', KEYS[2]) or '0')
        local known = tonumber(ARGV[1])
        local limit = tonumber(ARGV[2])
        if version <= known then return {version, epoch} end
        local changed = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. known, '+inf', 'WITHSCORES', 'LIMIT', 0, limit)
        local reply = {version, epoch}
        if #changed / 2 == limit then
          -- Cut at a version read whole: the rest of the last one (a push changes at most a few hundred).
          local last = changed[#changed]
          local read = {}
          for i = 1, #changed, 2 do read[changed[i]] = true end
          for _, arn in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], last, last)) do
            if not read[arn] then
              changed[#changed + 1] = arn
              changed[#changed + 1] = last
            end
          end
          reply[1] = tonumber(last)
        end
        for i = 1, #changed, 2 do
          local record = redis.call('HGET', KEYS[1], changed[i])
          if record then
            reply[#reply + 1] = changed[i]
            reply[#reply + 1] = record
          end
        end
        return reply
        """
}
