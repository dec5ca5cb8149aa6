public enum AnchorageServerPlaceholder {}
