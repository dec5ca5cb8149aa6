public enum AnchorageHTTPPlaceholder {}
