import ChatixiaAgent
import Foundation
import MeshProtocol
import Synchronization
import Testing

@Suite struct SkillDefinitionTests {
    let definition = SkillDefinition(name: "resize", description: "", parameters: [
        SkillParameter(name: "path", kind: .string, required: true),
        SkillParameter(name: "width", kind: .integer, required: true),
        SkillParameter(name: "scale", kind: .number, defaultValue: .number(1)),
        SkillParameter(name: "keep", kind: .boolean, defaultValue: .bool(true)),
    ])

    @Test func fillsDefaultsAndDropsUnknownKeys() throws {
        let checked = try definition.validate(["path": .string("a.png"), "width": .number(64), "skill": .string("resize")])
        #expect(checked == ["path": .string("a.png"), "width": .number(64), "scale": .number(1), "keep": .bool(true)])
    }

    @Test func reportsEveryProblemAtOnce() {
        #expect(throws: SkillError.invalidArguments(skill: "resize", problems: [
            "missing required parameter 'path' (string)",
            "parameter 'width' must be an integer, got the number 2.5",
            "parameter 'keep' must be true or false, got the string \"yes\"",
        ])) {
            try definition.validate(["width": .number(2.5), "keep": .string("yes")])
        }
    }

    @Test func theToolSchemaIsAnOpenAIFunction() {
        let schema = definition.toolSchema
        #expect(schema["type"] == .string("function"))
        #expect(schema["function"]?["name"] == .string("resize"))
        #expect(schema["function"]?["parameters"]?["required"] == .array([.string("path"), .string("width")]))
        #expect(schema["function"]?["parameters"]?["properties"]?["width"]?["type"] == .string("integer"))
    }

    @Test func unknownSkillsNameTheAvailableOnes() async {
        let skills = SkillSet()
        await #expect(throws: SkillError.unknownSkill("nope", available: [])) { try await skills.invoke("nope", arguments: [:]) }
    }
}

@Suite struct FolderSkillTests {
    let environment = ProcessInfo.processInfo.environment

    func skill(_ directory: TemporaryDirectory, json: String, handler: String? = nil, executable: Bool = true) throws -> FolderSkill {
        try directory.write("s/skill.json", json)
        if let handler { try directory.write("s/handler", handler, executable: executable) }
        return try FolderSkill(folder: directory.url.appendingPathComponent("s"), environment: environment)
    }

    @Test func anExecutableHandlerGetsValidatedArgumentsAsJSONOnStdin() async throws {
        let directory = try TemporaryDirectory()
        let echo = try skill(directory, json: #"{"name": "echo", "parameters": {"text": {"type": "string", "required": true}, "times": {"type": "integer", "default": 2}}}"#,
                             handler: "#!/bin/sh\ncat\n")
        let skills = SkillSet([echo])
        let output = try await skills.invoke("echo", arguments: ["text": .string("hi"), "extra": .bool(true)])
        let received = try JSONDecoder().decode(JSONValue.self, from: Data(output.utf8))
        #expect(received == .object(["text": .string("hi"), "times": .number(2)]))
        // Validation happens before the handler runs: no process for bad arguments.
        await #expect(throws: SkillError.self) { try await skills.invoke("echo", arguments: ["times": .string("x")]) }
    }

    @Test func pythonHandlersAreCalledWithKeywordArguments() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("s/handler.py", "async def handle(name, excited=False, **kwargs):\n    return f'Hello, {name}' + ('!' if excited else '.')\n")
        let hello = try skill(directory, json: #"{"name": "hello", "parameters": {"name": {"type": "string", "required": true}, "excited": {"type": "boolean", "default": false}}}"#)
        #expect(hello.handler == .python(directory.url.appendingPathComponent("s/handler.py")))
        #expect(try await SkillSet([hello]).invoke("hello", arguments: ["name": .string("Ann"), "excited": .bool(true)]) == "Hello, Ann!")
    }

    func pythonSkill(_ directory: TemporaryDirectory, _ source: String) throws -> FolderSkill {
        try directory.write("s/handler.py", source)
        return try skill(directory, json: #"{"name": "py", "parameters": {"mode": {"type": "string", "default": "ok"}}}"#)
    }

    @Test func aPythonHandlerMayReturnAStructuredResultAsJSON() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("s/skill.json", #"{"name": "chart", "parameters": {"kind": {"type": "string", "required": true}}}"#)
        try directory.write("s/handler.py", """
            def handle(kind, **kwargs):
                if kind == "structured":
                    return {"artifacts": [{"name": "summary", "parts": [{"text": "ok"}, {"data": {"n": 1}}]}]}
                return {"plain": "dict"}
            """)
        let skills = SkillSet([try FolderSkill(folder: directory.url.appendingPathComponent("s"), environment: environment)])
        let structured = try await skills.invoke("chart", arguments: ["kind": .string("structured")])
        #expect(A2AResult(structured, taskId: "t")?.artifacts.first?.parts == [A2APart(text: "ok"), A2APart(data: .object(["n": .number(1)]))])
        // Any other dict keeps upstream's str().
        #expect(try await skills.invoke("chart", arguments: ["kind": .string("other")]) == "{'plain': 'dict'}")
    }

    @Test func aGeneratorHandlerAnswersInPiecesAsItYieldsThem() async throws {
        let directory = try TemporaryDirectory()
        let go = directory.url.appendingPathComponent("go")
        // The handler goes on only once its first piece has been taken (the taker makes the file `go`): pieces
        // held back to the end would make it give up.
        let counting = try pythonSkill(directory, """
            import os, time
            def handle(mode):
                yield "0;"
                if mode == "count":
                    deadline = time.time() + 10
                    while not os.path.exists(\(String(reflecting: go.path))):
                        if time.time() > deadline:
                            raise RuntimeError("the first piece was not taken while the handler ran")
                        time.sleep(0.01)
                yield "1;"
                yield 2
            """)
        let pieces = Mutex<[String]>([])
        let result = try await counting.run(["mode": .string("count")], onDelta: { piece in
            pieces.withLock { $0.append(piece) }
            FileManager.default.createFile(atPath: go.path, contents: Data())
        })
        #expect(result == "0;1;2")
        #expect(pieces.withLock { $0 } == ["0;", "1;", "2"])
        // Without a taker the pieces make the result all the same.
        #expect(try await counting.run(["mode": .string("quiet")]) == "0;1;2")
    }

    @Test func aPythonHandlerStaysLoadedBetweenCallsAndMayPrint() async throws {
        let directory = try TemporaryDirectory()
        let counter = try pythonSkill(directory, "import os\ncalls = 0\ndef handle(mode):\n    global calls\n    calls += 1\n    print('chatter')\n    return f'{os.getpid()}:{calls}'\n")
        var answers: [String] = []
        for _ in 0..<3 { answers.append(try await counter.run(["mode": .string("ok")])) }
        let pid = answers[0].split(separator: ":")[0]
        #expect(answers == ["\(pid):1", "\(pid):2", "\(pid):3"])
    }

    @Test func aRaisingPythonHandlerReportsItsTracebackAndServesTheNextCall() async throws {
        let directory = try TemporaryDirectory()
        let picky = try pythonSkill(directory, "def handle(mode):\n    if mode == 'bad':\n        raise ValueError('no bad modes')\n    return mode\n")
        await #expect { try await picky.run(["mode": .string("bad")]) } throws: { error in
            guard case SkillError.failed(_, let reason) = error else { return false }
            return reason.hasPrefix("handler raised:") && reason.hasSuffix("ValueError: no bad modes")
        }
        #expect(try await picky.run(["mode": .string("fine")]) == "fine")
    }

    @Test func aHungPythonHandlerIsKilledAtItsTimeoutAndReplaced() async throws {
        let directory = try TemporaryDirectory()
        var hung = try pythonSkill(directory, "import os, time\ndef handle(mode):\n    if mode == 'hang':\n        time.sleep(30)\n    return str(os.getpid())\n")
        hung.timeout = .seconds(5)
        let before = try await hung.run(["mode": .string("ok")])
        hung.timeout = .milliseconds(300)
        await #expect(throws: SkillError.timedOut(skill: "py", seconds: 0.3)) { try await hung.run(["mode": .string("hang")]) }
        hung.timeout = .seconds(5)
        let after = try await hung.run(["mode": .string("ok")])
        #expect(after != before)
        #expect(kill(pid_t(before)!, 0) != 0, "the hung process is gone")
    }

    @Test func aPythonProcessThatDiedWhileIdleIsReplacedUnnoticed() async throws {
        let directory = try TemporaryDirectory()
        let skill = try pythonSkill(directory, "import os\ndef handle(mode):\n    return str(os.getpid())\n")
        let first = try #require(pid_t(try await skill.run(["mode": .string("ok")])))
        kill(first, SIGKILL)
        while kill(first, 0) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let second = try await skill.run(["mode": .string("ok")])
        #expect(second != String(first))
    }

    @Test func aHandlerThatDoesNotLoadFailsWithPythonsError() async throws {
        let directory = try TemporaryDirectory()
        let broken = try pythonSkill(directory, "def handle(mode:\n")
        await #expect { try await broken.run([:]) } throws: { error in
            guard case SkillError.failed(_, let reason) = error else { return false }
            return reason.contains("SyntaxError")
        }
    }

    @Test func overlappingPythonCallsRunInSeparateProcesses() async throws {
        let directory = try TemporaryDirectory()
        let slow = try pythonSkill(directory, "import os, time\ndef handle(mode):\n    time.sleep(0.5)\n    return str(os.getpid())\n")
        let pids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<3 { group.addTask { try await slow.run(["mode": .string("ok")]) } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(pids.count == 3)
    }

    @Test func handlerCallsLeaveNoDescriptorsBehind() async throws {
        let directory = try TemporaryDirectory()
        let skills = SkillSet([try skill(directory, json: #"{"name": "cat", "handler": {"command": ["cat"]}}"#)])
        func openDescriptors() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count }
        let before = try openDescriptors()
        for _ in 0..<200 { _ = try await skills.invoke("cat", arguments: [:]) }
        // Two pipes per call used to stay open (400 here); tests running meanwhile hold a few dozen at most.
        #expect(try openDescriptors() - before < 100)
    }

    @Test func handlerCommandFromSkillJSON() async throws {
        let directory = try TemporaryDirectory()
        let command = try skill(directory, json: #"{"name": "count", "handler": {"command": ["sh", "-c", "wc -c | tr -d ' '"]}}"#)
        #expect(try await command.run(["a": .string("b")]) == "9")  // {"a":"b"}
    }

    @Test func failuresCarryTheExitStatusAndStderr() async throws {
        let directory = try TemporaryDirectory()
        let failing = try skill(directory, json: #"{"name": "fail"}"#, handler: "#!/bin/sh\necho 'disk full' >&2\nexit 3\n")
        await #expect(throws: SkillError.failed(skill: "fail", reason: "handler exited with status 3: disk full")) { try await failing.run([:]) }
    }

    @Test func aSlowHandlerIsStoppedAtItsTimeout() async throws {
        let directory = try TemporaryDirectory()
        var slow = try skill(directory, json: #"{"name": "slow"}"#, handler: "#!/bin/sh\nexec sleep 30\n")
        slow.timeout = .milliseconds(300)
        let start = ContinuousClock.now
        await #expect(throws: SkillError.timedOut(skill: "slow", seconds: 0.3)) { try await slow.run([:]) }
        // The handler would sleep 30 s: returning well before proves it was killed (loose, so load cannot flake it).
        #expect(ContinuousClock.now - start < .seconds(25))
    }

    @Test func outputIsCapped() async throws {
        let directory = try TemporaryDirectory()
        let chatty = try skill(directory, json: #"{"name": "chatty"}"#, handler: "#!/bin/sh\nhead -c 1000000 /dev/zero | tr '\\\\0' x\n")
        let output = try await chatty.run([:])
        #expect(output.hasSuffix("[output truncated at \(FolderSkill.outputLimit) bytes]"))
        #expect(output.count < FolderSkill.outputLimit + 100)
    }

    @Test func badDefinitionsSayWhatIsWrong() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: SkillError.self) { try skill(directory, json: #"{"description": "no name"}"#, handler: "#!/bin/sh\n") }
        do {
            _ = try skill(directory, json: #"{"name": "x", "parameters": {"n": {"type": "float"}}}"#, handler: "#!/bin/sh\n")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("parameters.n.type \"float\" is not one of string, integer, number, boolean"))
        }
        do {
            _ = try skill(directory, json: #"{"name": "x", "examples": ["ok", 3]}"#, handler: "#!/bin/sh\n")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("\"examples\" must be a list of non-empty strings"))
        }
        // What the card shows comes along with the definition.
        let described = try skill(
            directory, json: #"{"name": "x", "tags": ["math"], "examples": ["2 + 2?"], "output_modes": ["application/json"]}"#, handler: "#!/bin/sh\n")
        #expect(described.definition.card == SkillCardDetails(tags: ["math"], examples: ["2 + 2?"], outputModes: ["application/json"]))
        try FileManager.default.removeItem(at: directory.url.appendingPathComponent("s/handler"))
        #expect(throws: SkillError.self) { try skill(directory, json: #"{"name": "x"}"#) }
    }

    @Test func loadingFoldersCollectsSkillsAndProblems() throws {
        let directory = try TemporaryDirectory()
        try directory.write("skills/good/skill.json", #"{"name": "good"}"#)
        try directory.write("skills/good/handler", "#!/bin/sh\necho ok\n", executable: true)
        try directory.write("skills/bad/skill.json", "{not json")
        try directory.write("skills/notes/README.md", "not a skill")
        let (skills, problems) = SkillSet.loadFolders([directory.url.appendingPathComponent("skills")], environment: environment)
        #expect(skills.map(\.definition.name) == ["good"])
        #expect(problems.count == 1)
    }
}
