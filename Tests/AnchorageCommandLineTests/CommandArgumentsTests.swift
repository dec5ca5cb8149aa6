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

/// `anchorage-helper`'s flags (AWS's helper, parsed by cobra): what they accept and refuse, with the messages.
@Suite("CommandArguments, helper flags")
struct HelperFlagsTests {
    let specification = CommandArguments.Specification(
        options: ["certificate", "region"], flags: ["debug", "once"], syntax: .helperFlags)

    func usageError(_ arguments: [String]) -> String? {
        do {
            _ = try CommandArguments(arguments, specification)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("--name value and --name=value; a later value replaces an earlier one; an empty inline value is a value")
    func values() throws {
        let parsed = try CommandArguments(
            ["--certificate", "a.pem", "--region=eu-west-1", "--certificate=b.pem", "--region", "-odd"], specification)
        #expect(parsed.value("certificate") == "b.pem")
        #expect(parsed.value("region") == "-odd")
        #expect(parsed.values("certificate") == ["b.pem"])
        #expect(try CommandArguments(["--region="], specification).value("region") == "")
    }

    @Test("booleans: bare, =true and =1 set; =false and =0 clear; any other value is refused")
    func booleans() throws {
        #expect(try CommandArguments(["--debug"], specification).has("debug"))
        #expect(try CommandArguments(["--debug=true"], specification).has("debug"))
        #expect(try CommandArguments(["--debug=1"], specification).has("debug"))
        #expect(try !CommandArguments(["--debug", "--debug=false"], specification).has("debug"))
        #expect(try !CommandArguments(["--debug=0"], specification).has("debug"))
        #expect(try CommandArguments(["--debug=false", "--debug"], specification).has("debug"))
        #expect(usageError(["--debug=yes"]) == "--debug takes no value")
        // A bare boolean never takes the next argument as its value; that argument is not quoted (it may be a
        // secret meant as the switch's value, `--reuse-pin 1234`).
        #expect(usageError(["--debug", "false"]) == "--debug takes no value (unexpected argument after it)")
        #expect(usageError(["--debug=1", "x"]) == "unexpected argument x")
    }

    @Test("refused: positionals, single dashes, a bare --, --help, unknown names, a missing value")
    func refusals() {
        #expect(usageError(["file.pem"]) == "unexpected argument file.pem")
        #expect(usageError(["-certificate", "a.pem"]) == "unexpected argument -certificate")
        #expect(usageError(["-"]) == "unexpected argument -")
        #expect(usageError(["--"]) == "unexpected argument --")
        #expect(usageError(["--help"]) == "unknown flag --help")
        #expect(usageError(["-h"]) == "unexpected argument -h")
        #expect(usageError(["--profile", "x"]) == "unknown flag --profile")
        #expect(usageError(["--certificate"]) == "--certificate needs a value")
    }

    @Test(
        "every message quoting an argument shows it through the specification's rule; a switch's stray value not at all"
    )
    func quotedArgumentsAreShown() {
        let secret = "pkcs11:token=a;object=ec?pin-value=SECRETPIN"
        var spec = specification
        spec.shown = { $0.split(separator: "SECRETPIN", omittingEmptySubsequences: false).joined(separator: "…") }
        func message(_ arguments: [String], _ spec: CommandArguments.Specification) -> String {
            do {
                _ = try CommandArguments(arguments, spec)
                return ""
            } catch {
                return error.message
            }
        }
        #expect(message([secret], spec) == "unexpected argument pkcs11:token=a;object=ec?pin-value=…")
        #expect(message(["--region", "r", secret], spec) == "unexpected argument pkcs11:token=a;object=ec?pin-value=…")
        #expect(message(["--SECRETPIN=x"], spec) == "unknown flag --…")
        #expect(message(["--once", "SECRETPIN"], spec) == "--once takes no value (unexpected argument after it)")
        var subcommand = CommandArguments.Specification(options: ["pki"], positionals: ["NAME"])
        subcommand.shown = spec.shown
        #expect(message(["a", secret], subcommand) == "unexpected argument pkcs11:token=a;object=ec?pin-value=…")
        #expect(message(["-SECRETPIN"], subcommand) == "unknown option -…")
        #expect(message(["--SECRETPIN"], subcommand) == "unknown option --…")
    }

    @Test("a name that is both a flag and an option is a flag")
    func flagWins() throws {
        let both = CommandArguments.Specification(options: ["debug"], flags: ["debug"], syntax: .helperFlags)
        let parsed = try CommandArguments(["--debug", "--debug=1"], both)
        #expect(parsed.has("debug"))
        #expect(parsed.value("debug") == nil)
    }

    @Test("the subcommand syntax is unchanged: --name=false is a value for a switch there, so refused")
    func subcommandUnchanged() {
        #expect(throws: CommandArguments.UsageError("--debug takes no value")) {
            try CommandArguments(["--debug=false"], .init(flags: ["debug"]))
        }
    }
}
