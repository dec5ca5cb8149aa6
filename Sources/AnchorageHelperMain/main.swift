import AnchorageClient
import Foundation

exit(HelperCommand.run(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment))
