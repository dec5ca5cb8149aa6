import AnchorageCore
import Testing

@Suite struct PolicyEvaluatorTests {
    static let service = "rolesanywhere.amazonaws.com"
    static let all = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]
    static let anchor = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/4a1c52e0-7d6b-4b7e-9a55-0e6f4c3b9d21"

    static func policy(_ text: String) throws -> PolicyDocument {
        try PolicyDocument(json: try JSONParser.parse(text))
    }

    static func decide(
        _ text: String, service: String = service, actions: [String] = all, _ context: [String: [String]] = [:]
    ) throws -> PolicyDecision {
        PolicyEvaluator.evaluate(
            try policy(text), principalService: service, actions: actions, context: RequestContext(context))
    }

    /// CONTRACT.md §3.3 example role.
    static let contractPolicy = """
        {"Version": "2012-10-17", "Statement": [{
          "Effect": "Allow",
          "Principal": {"Service": "rolesanywhere.amazonaws.com"},
          "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
          "Condition": {
            "ArnEquals": {"aws:SourceArn": "\(anchor)"},
            "StringEquals": {"aws:PrincipalTag/x509Subject/OU": "web"}
          }
        }]}
        """

    struct ContractCase: Sendable, CustomStringConvertible {
        var name: String
        var context: [String: [String]]
        var allowed: Bool
        var description: String { name }
    }

    @Test(arguments: [
        ContractCase(
            name: "matching anchor and OU",
            context: ["aws:SourceArn": [anchor], "aws:PrincipalTag/x509Subject/OU": ["web"]], allowed: true),
        ContractCase(
            name: "keys in other case",
            context: ["AWS:SOURCEARN": [anchor], "aws:principaltag/X509SUBJECT/ou": ["web"]], allowed: true),
        ContractCase(
            name: "other anchor",
            context: [
                "aws:SourceArn": [anchor.replacingLast("1", with: "2")], "aws:PrincipalTag/x509Subject/OU": ["web"],
            ],
            allowed: false),
        ContractCase(
            name: "other OU", context: ["aws:SourceArn": [anchor], "aws:PrincipalTag/x509Subject/OU": ["ops"]],
            allowed: false),
        ContractCase(name: "OU tag missing", context: ["aws:SourceArn": [anchor]], allowed: false),
        ContractCase(name: "empty context", context: [:], allowed: false),
    ])
    func contractExampleRole(_ c: ContractCase) throws {
        let decision = try Self.decide(Self.contractPolicy, c.context)
        #expect(decision.allowed == c.allowed)
        #expect(decision.trace.count == 1)
        #expect(decision.trace[0].conditions.count == 2)  // both evaluated even when the first fails
        if !c.allowed { #expect(decision.reason == .noMatchingAllow(missingActions: Self.all)) }
    }

    @Test func explicitDenyWinsOverAllow() throws {
        let decision = try Self.decide(
            """
            {"Statement": [
              {"Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"}, "Action": "sts:*"},
              {"Sid": "NoContractors", "Effect": "Deny", "Principal": "*", "Action": "sts:TagSession",
               "Condition": {"StringEquals": {"aws:PrincipalTag/x509Subject/OU": "contractors"}}}
            ]}
            """, ["aws:PrincipalTag/x509Subject/OU": ["contractors"]])
        #expect(!decision.allowed)
        #expect(decision.reason == .explicitDeny(statementIndex: 1, sid: "NoContractors"))
    }

    @Test func denyWhoseConditionFailsDoesNotApply() throws {
        let decision = try Self.decide(
            """
            {"Statement": [
              {"Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"}, "Action": "sts:*"},
              {"Effect": "Deny", "Principal": "*", "Action": "*",
               "Condition": {"StringEquals": {"aws:PrincipalTag/x509Subject/OU": "contractors"}}}
            ]}
            """, ["aws:PrincipalTag/x509Subject/OU": ["web"]])
        #expect(decision.allowed)
        #expect(decision.reason == .allowed)
        #expect(decision.trace[1].applies == false)
    }

    /// UG split-statement example: source identity in one statement, tagging in another.
    static let split = """
        {"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"},
           "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
           "Condition": {"StringEquals": {"sts:SourceIdentity": "CN=Alice"}}},
          {"Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"},
           "Action": "sts:TagSession",
           "Condition": {"StringEquals": {"aws:PrincipalTag/x509Issuer/CN": "RolesAnywhere"}}}
        ]}
        """

    @Test func splitStatementsAllowDifferentActions() throws {
        let decision = try Self.decide(
            Self.split, ["sts:SourceIdentity": ["CN=Alice"], "aws:PrincipalTag/x509Issuer/CN": ["RolesAnywhere"]])
        #expect(decision.allowed)
        #expect(
            decision.trace.map(\.matchedActions) == [["sts:AssumeRole", "sts:SetSourceIdentity"], ["sts:TagSession"]])
    }

    @Test func splitStatementMissingOneActionDenies() throws {
        let decision = try Self.decide(
            Self.split, ["sts:SourceIdentity": ["CN=Alice"], "aws:PrincipalTag/x509Issuer/CN": ["Other"]])
        #expect(!decision.allowed)
        #expect(decision.reason == .noMatchingAllow(missingActions: ["sts:TagSession"]))
    }

    @Test func actionNotListedDenies() throws {
        let decision = try Self.decide(
            #"{"Statement": {"Effect": "Allow", "Principal": {"Service": "rolesanywhere.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}}"#
        )
        #expect(decision.reason == .noMatchingAllow(missingActions: ["sts:SetSourceIdentity"]))
    }

    struct PrincipalCase: Sendable, CustomStringConvertible {
        var principal: String
        var allowed: Bool
        var description: String { principal }
    }

    @Test(arguments: [
        PrincipalCase(principal: #""Principal": "*""#, allowed: true),
        PrincipalCase(principal: #""Principal": {"Service": "rolesanywhere.amazonaws.com"}"#, allowed: true),
        PrincipalCase(
            principal: #""Principal": {"Service": ["ec2.amazonaws.com", "rolesanywhere.amazonaws.com"]}"#, allowed: true
        ),
        PrincipalCase(principal: #""Principal": {"AWS": "*"}"#, allowed: true),
        PrincipalCase(principal: #""Principal": {"Service": "ec2.amazonaws.com"}"#, allowed: false),
        PrincipalCase(principal: #""Principal": {"Service": "RolesAnywhere.amazonaws.com"}"#, allowed: false),
        PrincipalCase(principal: #""Principal": {"AWS": "arn:aws:iam::123456789012:root"}"#, allowed: false),
        PrincipalCase(principal: #""Principal": {"Federated": "cognito-identity.amazonaws.com"}"#, allowed: false),
    ])
    func principalMatching(_ c: PrincipalCase) throws {
        let decision = try Self.decide(#"{"Statement": [{"Effect": "Allow", \#(c.principal), "Action": "sts:*"}]}"#)
        #expect(decision.allowed == c.allowed)
        #expect(decision.trace[0].principalMatched == c.allowed)
    }

    struct ActionCase: Sendable, CustomStringConvertible {
        var element: String
        var matched: [String]
        var description: String { element }
    }

    @Test(arguments: [
        ActionCase(element: #""Action": "sts:*""#, matched: all),
        ActionCase(element: #""Action": "STS:assumerole""#, matched: ["sts:AssumeRole"]),
        ActionCase(element: #""Action": "sts:?ssumeRole""#, matched: ["sts:AssumeRole"]),
        ActionCase(element: #""Action": "*""#, matched: all),
        ActionCase(
            element: #""Action": ["sts:Set*", "sts:Tag*"]"#, matched: ["sts:TagSession", "sts:SetSourceIdentity"]),
        ActionCase(element: #""Action": "sts:AssumeRoleWithSAML""#, matched: []),
        ActionCase(element: #""NotAction": "sts:TagSession""#, matched: ["sts:AssumeRole", "sts:SetSourceIdentity"]),
        ActionCase(element: #""NotAction": "iam:*""#, matched: all),
    ])
    func actionMatching(_ c: ActionCase) throws {
        let decision = try Self.decide(#"{"Statement": [{"Effect": "Allow", "Principal": "*", \#(c.element)}]}"#)
        #expect(decision.trace[0].matchedActions == c.matched)
        #expect(decision.allowed == (c.matched == Self.all))
    }

    @Test func notActionDenyCoversEverythingElse() throws {
        let decision = try Self.decide(
            """
            {"Statement": [
              {"Effect": "Allow", "Principal": "*", "Action": "sts:*"},
              {"Effect": "Deny", "Principal": "*", "NotAction": ["sts:AssumeRole", "sts:TagSession"]}
            ]}
            """)
        #expect(decision.reason == .explicitDeny(statementIndex: 1, sid: nil))
    }

    @Test func emptyStatementListDenies() throws {
        let decision = try Self.decide(#"{"Version": "2012-10-17", "Statement": []}"#)
        #expect(!decision.allowed)
        #expect(decision.reason == .noMatchingAllow(missingActions: Self.all))
        #expect(decision.trace.isEmpty)
    }

    @Test func noRequestedActionsDenies() throws {
        let decision = try Self.decide(
            #"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*"}}"#, actions: [])
        #expect(!decision.allowed)
        #expect(decision.reason == .noMatchingAllow(missingActions: []))
    }

    @Test func allowForAnotherPrincipalDenies() throws {
        let decision = try Self.decide(
            #"{"Statement": {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:*"}}"#)
        #expect(!decision.allowed)
        #expect(decision.trace[0].principalMatched == false)
        #expect(decision.trace[0].applies == false)
    }

    @Test func traceIsReadable() throws {
        let decision = try Self.decide(
            Self.contractPolicy, ["aws:SourceArn": [Self.anchor], "aws:PrincipalTag/x509Subject/OU": ["ops"]])
        let text = decision.description
        #expect(text.hasPrefix("DENY: no statement allows sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity"))
        #expect(text.contains("Statement[0] Allow: does not apply"))
        #expect(text.contains(#"condition ArnEquals aws:SourceArn ["\#(Self.anchor)"] vs ["\#(Self.anchor)"] -> true"#))
        #expect(text.contains(#"condition StringEquals aws:PrincipalTag/x509Subject/OU ["web"] vs ["ops"] -> false"#))
        let missing = try Self.decide(Self.contractPolicy, [:])
        #expect(missing.description.contains(#"aws:PrincipalTag/x509Subject/OU ["web"] vs (missing) -> false"#))
    }

    @Test func conditionValuesKeepNumberTextAndBooleans() throws {
        let document = try Self.policy(
            #"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Condition": {"NumericLessThan": {"aws:EpochTime": 1.50e3}, "Bool": {"aws:SecureTransport": [true, false]}}}}"#
        )
        #expect(document.statements[0].conditions.map(\.values) == [["1.50e3"], ["true", "false"]])
    }
}

extension String {
    fileprivate func replacingLast(_ old: Character, with new: Character) -> String {
        guard let i = lastIndex(of: old) else { return self }
        var copy = self
        copy.replaceSubrange(i...i, with: String(new))
        return copy
    }
}
