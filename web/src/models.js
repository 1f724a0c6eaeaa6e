/** The 3D formats the model viewer shows (viewers/model-viewer.js, loaded only when opened). */
export function isModel (name) {
  return /\.(stl|3mf|obj)$/i.test(name ?? '')
}
