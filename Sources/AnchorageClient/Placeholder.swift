public enum AnchorageClientPlaceholder {}
