// placeholder: implemented by the core readers work
