{
  "targets": [
    {
      "target_name": "dsrlab",
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native/addon').filter(f=>f.endsWith('.cc')).map(f=>'native/addon/'+f).join(' ')\")",
        "<!@(node -p \"require('fs').readdirSync('native/src').filter(f=>f.endsWith('.c')).map(f=>'native/src/'+f).join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags": ["-fvisibility=hidden", "-Wall", "-Wextra", "-Werror", "-O2"],
      "cflags_c": ["-std=c11"],
      "cflags_cc": ["-fvisibility=hidden", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}
