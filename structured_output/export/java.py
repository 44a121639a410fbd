"""Java snippets with the DashScope SDK (JSON Object mode; the reference notes Java does not
support JSON Schema)."""

from __future__ import annotations

import re

from structured_output.export.literals import java_str
from structured_output.export.shared import KEY_ENV, Snippet, _ImageSlot, _key_comment, _path_var
from structured_output.request import Request


def _java_builder(req: Request, ind: str, calls: list[str]) -> str:
    head = [f'.apiKey(System.getenv("{KEY_ENV}"))', f".model({java_str(req.model, ind)})"]
    return "\n".join(f"{ind}{c}" for c in head + calls)


def java_dashscope(req: Request, native_url: str, slots: list[_ImageSlot]) -> Snippet:
    if req.mode == "json_schema":
        code = ("// Java · DashScope SDK and JSON Schema mode\n"
                "//\n"
                "// The reference (\"Get output in a specified format\", DashScope) notes:\n"
                "//   \"The Java SDK is not currently supported.\"\n"
                "// for JSON Schema mode. From Java, switch this request to JSON Object mode (and say \"JSON\"\n"
                "// in the prompt), or use the Python, Node.js or curl snippets for JSON Schema mode.\n")
        return Snippet("java", "Java · DashScope SDK (JSON Schema not supported)", code, "Main.java",
                       "java-dashscope", runnable=False)
    if req.video is not None:
        code = ("// Java · DashScope SDK with a video\n"
                "//\n"
                "// The playground does not write the Java form of a video request yet. The Python, Node.js and\n"
                "// curl snippets send the same video item ({\"video\": [frames], \"fps\": ...} on the native\n"
                "// protocol).\n")
        return Snippet("java", "Java · DashScope SDK (video not written yet)", code, "Main.java", "java-dashscope",
                       runnable=False)
    ind = " " * 16
    opts = []
    if req.temperature is not None:
        opts.append(f".temperature({req.temperature}f)")
    if req.max_tokens is not None:
        opts.append(f".maxTokens({req.max_tokens})")
    if req.enable_thinking is not None:
        opts.append(f".enableThinking({'true' if req.enable_thinking else 'false'})")
    rf_line = ("        ResponseFormat jsonMode = ResponseFormat.builder().type(\"json_object\").build();\n"
               if req.mode == "json_object" else "")
    rf_opt = [".responseFormat(jsonMode)"] if req.mode == "json_object" else []
    note = "// Streaming: call streamCall(param) instead of call(param) and read each chunk.\n" if req.stream else ""
    key_comment = _key_comment(req, "//")
    if slots:
        return _java_multimodal(req, native_url, slots, ind, opts + rf_opt, rf_line, note, key_comment)
    sys_msg = (f"        Message systemMsg = Message.builder()\n                .role(Role.SYSTEM.getValue())\n"
               f"                .content({java_str(req.system_prompt, ind)})\n                .build();\n"
               if req.system_prompt else "")
    msgs = "systemMsg, userMsg" if req.system_prompt else "userMsg"
    builder = _java_builder(req, ind, [f".messages(Arrays.asList({msgs}))",
                                       ".resultFormat(GenerationParam.ResultFormat.MESSAGE)", *rf_opt, *opts])
    code = (f"// The DashScope Java SDK version must be 2.18.4 or later.\n{key_comment}\n{note}\n"
            "import java.util.Arrays;\nimport java.lang.System;\n"
            "import com.alibaba.dashscope.aigc.generation.Generation;\n"
            "import com.alibaba.dashscope.aigc.generation.GenerationParam;\n"
            "import com.alibaba.dashscope.aigc.generation.GenerationResult;\n"
            "import com.alibaba.dashscope.common.Message;\nimport com.alibaba.dashscope.common.Role;\n"
            "import com.alibaba.dashscope.exception.ApiException;\n"
            "import com.alibaba.dashscope.exception.InputRequiredException;\n"
            "import com.alibaba.dashscope.exception.NoApiKeyException;\n"
            "import com.alibaba.dashscope.common.ResponseFormat;\n"
            "import com.alibaba.dashscope.protocol.Protocol;\n\n"
            "public class Main {\n"
            "    public static GenerationResult callWithMessage() throws ApiException, NoApiKeyException, "
            "InputRequiredException {\n"
            f"        Generation gen = new Generation(Protocol.HTTP.getValue(), {java_str(native_url, ind)});\n"
            + sys_msg +
            f"        Message userMsg = Message.builder()\n                .role(Role.USER.getValue())\n"
            f"                .content({java_str(req.user_text, ind)})\n                .build();\n"
            + rf_line +
            "        GenerationParam param = GenerationParam.builder()\n" + builder + "\n                .build();\n"
            "        return gen.call(param);\n    }\n\n"
            "    public static void main(String[] args) {\n        try {\n"
            "            GenerationResult result = callWithMessage();\n"
            "            System.out.println(result.getOutput().getChoices().get(0).getMessage().getContent());\n"
            "        } catch (ApiException | NoApiKeyException | InputRequiredException e) {\n"
            "            System.err.println(\"An error occurred while calling the generation service: \" "
            "+ e.getMessage());\n        }\n    }\n}\n")
    return Snippet("java", "Java · DashScope SDK (Generation)", code, "Main.java", "java-dashscope")


def _java_multimodal(req: Request, native_url: str, slots: list[_ImageSlot], ind: str, opts: list[str],
                     rf_line: str, note: str, key_comment: str) -> Snippet:
    reads = ""
    items = []
    for s in slots:
        if s.var:
            pv = _path_var(s)
            var = re.sub(r"_(\d+|[a-z])", lambda m: m.group(1).upper(), s.var)
            reads += (f"        String {pv} = {java_str(s.path, ind)};  // the image to send; change to your file\n"
                      f"        String {var} = \"data:{s.mime};base64,\"\n                + Base64.getEncoder()"
                      f".encodeToString(Files.readAllBytes(Paths.get({pv})));\n")
            items.append(f'Collections.singletonMap("image", {var})')
        else:
            items.append(f'Collections.singletonMap("image", {java_str(s.url, ind)})')
    items.append(f'Collections.singletonMap("text", {java_str(req.user_text, ind)})')
    sys_msg = ("        MultiModalMessage systemMessage = MultiModalMessage.builder().role(Role.SYSTEM.getValue())\n"
               f"                .content(Arrays.asList(\n                        Collections.singletonMap(\"text\", "
               f"{java_str(req.system_prompt, ind)}))).build();\n" if req.system_prompt else "")
    msgs = "systemMessage, userMessage" if req.system_prompt else "userMessage"
    builder = _java_builder(req, ind, [f".messages(Arrays.asList({msgs}))", *opts])
    code = (f"// The DashScope Java SDK version must be 2.21.4 or later.\n{key_comment}\n{note}\n"
            "import java.io.IOException;\nimport java.nio.file.Files;\nimport java.nio.file.Paths;\n"
            "import java.util.Arrays;\nimport java.util.Base64;\nimport java.util.Collections;\n"
            "import com.alibaba.dashscope.aigc.multimodalconversation.MultiModalConversation;\n"
            "import com.alibaba.dashscope.aigc.multimodalconversation.MultiModalConversationParam;\n"
            "import com.alibaba.dashscope.aigc.multimodalconversation.MultiModalConversationResult;\n"
            "import com.alibaba.dashscope.common.MultiModalMessage;\nimport com.alibaba.dashscope.common.Role;\n"
            "import com.alibaba.dashscope.exception.ApiException;\n"
            "import com.alibaba.dashscope.exception.NoApiKeyException;\n"
            "import com.alibaba.dashscope.exception.UploadFileException;\n"
            "import com.alibaba.dashscope.common.ResponseFormat;\nimport com.alibaba.dashscope.utils.Constants;\n\n"
            "public class Main {\n"
            f"    static {{\n        Constants.baseHttpApiUrl = {java_str(native_url, ind)};\n    }}\n\n"
            "    public static void simpleMultiModalConversationCall()\n"
            "            throws ApiException, NoApiKeyException, UploadFileException, IOException {\n"
            "        MultiModalConversation conv = new MultiModalConversation();\n"
            "        // Images go as data: URLs: given a local file path, the SDK would upload it first.\n"
            + reads + sys_msg +
            "        MultiModalMessage userMessage = MultiModalMessage.builder().role(Role.USER.getValue())\n"
            "                .content(Arrays.asList(\n" +
            ",\n".join(f"                        {i}" for i in items) + ")).build();\n"
            + rf_line +
            "        MultiModalConversationParam param = MultiModalConversationParam.builder()\n" + builder +
            "\n                .build();\n"
            "        MultiModalConversationResult result = conv.call(param);\n"
            "        System.out.println(result.getOutput().getChoices().get(0).getMessage().getContent().get(0)"
            ".get(\"text\"));\n    }\n\n"
            "    public static void main(String[] args) {\n        try {\n"
            "            simpleMultiModalConversationCall();\n"
            "        } catch (ApiException | NoApiKeyException | UploadFileException | IOException e) {\n"
            "            System.out.println(e.getMessage());\n        }\n    }\n}\n")
    return Snippet("java", "Java · DashScope SDK (MultiModalConversation)", code, "Main.java", "java-dashscope")
