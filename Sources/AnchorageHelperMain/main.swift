import Foundation

FileHandle.standardError.write(Data("anchorage-helper: not built yet\n".utf8))
exit(1)
