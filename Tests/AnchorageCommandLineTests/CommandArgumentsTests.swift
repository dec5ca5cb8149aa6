import AnchorageCommandLine
import Testing

@Suite("CommandArguments")
struct CommandArgumentsTests {
    let specification = CommandArguments.Specification(
        options: ["pki", "region"], repeatableOptions: ["condition"], flags: ["json"], positionals: ["NAME", "FILE"],
        optionalPositionals: 1)

    @Test("options, inline values, repeatable options, flags and positionals")
    func parsesEverything() throws {
        let parsed = try CommandArguments(
            ["web", "--pki", "/x", "--condition", "A:b=c", "--region=eu-west-1", "--json", "--condition=D:e=f=g"],
            specification)
        #expect(parsed.positionals == ["web"])
        #expect(parsed.value("pki") == "/x")
        #expect(parsed.value("region") == "eu-west-1")
        #expect(parsed.values("condition") == ["A:b=c", "D:e=f=g"])
        #expect(parsed.has("json"))
        #expect(!parsed.helpRequested)
        #expect(parsed.positional(1) == nil)
    }

    @Test("-- ends the options; a value may start with a dash when given inline")
    func doubleDash() throws {
        let parsed = try CommandArguments(["--region=-odd", "--", "--name", "file"], specification)
        #expect(parsed.positionals == ["--name", "file"])
        #expect(parsed.value("region") == "-odd")
    }

    @Test("--help and -h win over everything else")
    func help() throws {
        #expect(try CommandArguments(["--bogus", "--help"], specification).helpRequested)
        #expect(try CommandArguments(["-h"], specification).helpRequested)
    }

    @Test(
        "usage errors",
        arguments: [
            (["web", "--bogus"], "unknown option --bogus"),
            (["web", "--pki"], "--pki needs a value"),
            (["web", "--pki", "a", "--pki", "b"], "--pki may be given only once"),
            (["web", "--json=yes"], "--json takes no value"),
            ([], "missing NAME"),
            (["a", "b", "c"], "unexpected argument c"),
            (["-x"], "unknown option -x"),
        ])
    func usageErrors(arguments: [String], message: String) {
        #expect(throws: CommandArguments.UsageError(message)) { try CommandArguments(arguments, specification) }
    }

    @Test("with laterValuesOverride a repeated option replaces the earlier value (serve's overrides)")
    func laterValuesOverride() throws {
        var spec = specification
        spec.laterValuesOverride = true
        let parsed = try CommandArguments(
            ["web", "--pki", "a", "--pki=b", "--condition", "c", "--condition", "d"], spec)
        #expect(parsed.value("pki") == "b")
        #expect(parsed.values("condition") == ["c", "d"])
    }

    @Test("givenOptions names every option and switch given, once")
    func givenOptions() throws {
        let parsed = try CommandArguments(["web", "--json", "--condition", "c", "--condition", "d"], specification)
        #expect(parsed.givenOptions == ["json", "condition"])
        #expect(try CommandArguments(["web"], specification).givenOptions.isEmpty)
    }

    @Test("integer options are range-checked")
    func integers() throws {
        let spec = CommandArguments.Specification(options: ["days"])
        #expect(try CommandArguments(["--days", "30"], spec).integer("days", in: 1...100, default: 7) == 30)
        #expect(try CommandArguments([], spec).integer("days", in: 1...100, default: 7) == 7)
        #expect(throws: CommandArguments.UsageError.self) {
            try CommandArguments(["--days", "0"], spec).integer("days", in: 1...100, default: 7)
        }
        #expect(throws: CommandArguments.UsageError.self) {
            try CommandArguments(["--days", "x"], spec).integer("days", in: 1...100, default: 7)
        }
    }
}
