public enum AnchorageAdminPlaceholder {}
